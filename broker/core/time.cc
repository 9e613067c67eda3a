#include "broker/core/time.h"

#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <mutex>

namespace icb {
namespace {

bool Digits(std::string_view s, size_t pos, size_t n, int* out) {
  if (pos + n > s.size()) return false;
  int v = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    v = v * 10 + (s[i] - '0');
  }
  *out = v;
  return true;
}

}  // namespace

std::optional<TimePoint> ParseRfc3339(std::string_view s) { return ParseRfc3339(s, nullptr); }

std::optional<TimePoint> ParseRfc3339(std::string_view s, std::string* why) {
  using namespace std::chrono;
  auto fail = [why](const char* reason) -> std::optional<TimePoint> {
    if (why) *why = reason;
    return std::nullopt;
  };
  int y, mo, d, h, mi, sec;
  if (!Digits(s, 0, 4, &y) || s.size() < 5 || s[4] != '-' || !Digits(s, 5, 2, &mo) || s.size() < 8 || s[7] != '-' ||
      !Digits(s, 8, 2, &d)) {
    return fail("the date is not YYYY-MM-DD");
  }
  if (s.size() < 11 || (s[10] != 'T' && s[10] != 't')) return fail("the date is not followed by T and a time");
  if (!Digits(s, 11, 2, &h) || s.size() < 14 || s[13] != ':' || !Digits(s, 14, 2, &mi) || s.size() < 17 || s[16] != ':' ||
      !Digits(s, 17, 2, &sec)) {
    return fail("the time is not HH:MM:SS");
  }
  year_month_day ymd{year(y), month(static_cast<unsigned>(mo)), day(static_cast<unsigned>(d))};
  if (!ymd.ok()) return fail("no such calendar date");
  if (h > 23 || mi > 59) return fail("no such time of day");
  // RFC 3339 allows second 60, but a leap second has no place on the broker's
  // (POSIX) time line, and no probe emits one: refused everywhere, the same way.
  if (sec == 60) return fail("second 60 (a leap second) is not accepted; use 59 or the next minute");
  if (sec > 59) return fail("no such second");
  size_t pos = 19;
  long long ms = 0;
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    size_t start = pos;
    int scale = 100;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
      ms += (s[pos] - '0') * scale;
      scale /= 10;
      ++pos;
    }
    if (pos == start) return fail("the fraction of a second has no digits");
  }
  long long offset_min = 0;
  if (pos < s.size() && (s[pos] == 'Z' || s[pos] == 'z')) {
    ++pos;
  } else if (pos < s.size() && (s[pos] == '+' || s[pos] == '-')) {
    int oh, om;
    if (!Digits(s, pos + 1, 2, &oh) || pos + 3 >= s.size() || s[pos + 3] != ':' || !Digits(s, pos + 4, 2, &om) ||
        oh > 23 || om > 59) {
      return fail("the offset is not Z or +HH:MM / -HH:MM");
    }
    offset_min = (oh * 60 + om) * (s[pos] == '-' ? -1 : 1);
    pos += 6;
  } else {
    return fail("the offset (Z or +HH:MM) is missing");
  }
  if (pos != s.size()) return fail("text follows the offset");
  auto t = sys_days(ymd) + hours(h) + minutes(mi) + seconds(sec) + milliseconds(ms) - minutes(offset_min);
  return time_point_cast<milliseconds>(t);
}

std::string FormatRfc3339(TimePoint t) {
  using namespace std::chrono;
  auto day_start = floor<days>(t);
  year_month_day ymd(day_start);
  hh_mm_ss<milliseconds> hms(t - day_start);
  char buf[40];
  long long ms = hms.subseconds().count();
  if (ms == 0) {
    std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02lld:%02lld:%02lldZ", static_cast<int>(ymd.year()),
                  static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                  static_cast<long long>(hms.hours().count()), static_cast<long long>(hms.minutes().count()),
                  static_cast<long long>(hms.seconds().count()));
  } else {
    std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02lld:%02lld:%02lld.%03lldZ", static_cast<int>(ymd.year()),
                  static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                  static_cast<long long>(hms.hours().count()), static_cast<long long>(hms.minutes().count()),
                  static_cast<long long>(hms.seconds().count()), ms);
  }
  return buf;
}

namespace {

std::mutex tz_mu;  // TZ is process-wide state; only this file changes it, under this lock

// Local midnight of the first of a month in `zone`, as UTC.
std::optional<TimePoint> LocalMonthStart(int year, unsigned month, std::string_view zone) {
  using namespace std::chrono;
  if (zone == "UTC" || zone == "Etc/UTC") {
    return time_point_cast<Millis>(sys_days(year_month_day{std::chrono::year(year), std::chrono::month(month), day(1)}));
  }
  std::lock_guard lock(tz_mu);
  const char* old = std::getenv("TZ");
  std::string saved = old ? old : "";
  setenv("TZ", std::string(zone).c_str(), 1);
  tzset();
  std::tm tm{};
  tm.tm_year = year - 1900;
  tm.tm_mon = static_cast<int>(month) - 1;
  tm.tm_mday = 1;
  tm.tm_isdst = -1;  // let the zone's rules decide
  time_t t = mktime(&tm);
  if (old) setenv("TZ", saved.c_str(), 1);
  else unsetenv("TZ");
  tzset();
  if (t == static_cast<time_t>(-1)) return std::nullopt;
  return TimePoint(Millis(static_cast<long long>(t) * 1000));
}

}  // namespace

Result<Window> MonthWindow(std::string_view month, std::string_view zone) {
  int y = 0, m = 0;
  auto bad = [&] { return InvalidArgument("invalid month", {{"", "month must be YYYY-MM, got \"" + std::string(month) + "\""}}); };
  if (month.size() != 7 || month[4] != '-' || std::sscanf(std::string(month).c_str(), "%4d-%2d", &y, &m) != 2 || m < 1 || m > 12 ||
      y < 1970 || y > 9999) {
    return bad();
  }
  if (zone != "UTC" && zone != "Etc/UTC") {
    // Only names of files under the tzdata directory: no paths, no POSIX TZ strings.
    std::string z(zone);
    if (z.empty() || z.find("..") != std::string::npos || z[0] == '/' ||
        !std::filesystem::is_regular_file("/usr/share/zoneinfo/" + z)) {
      return InvalidArgument("unknown time zone", {{"/time_zone", "unknown time zone \"" + z + "\""}});
    }
  }
  auto from = LocalMonthStart(y, static_cast<unsigned>(m), zone);
  auto to = LocalMonthStart(m == 12 ? y + 1 : y, m == 12 ? 1u : static_cast<unsigned>(m + 1), zone);
  if (!from || !to) return InvalidArgument("month out of range", {{"", "cannot place " + std::string(month) + " in " + std::string(zone)}});
  return Window{*from, *to};
}

}  // namespace icb
