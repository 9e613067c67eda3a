// A Store that forwards every call to another (LevelDB's EnvWrapper): tests
// derive from it and override the calls they want to fail, delay or count.
#pragma once

#include "broker/store/store.h"

namespace icb {

class StoreWrapper : public Store {
 public:
  explicit StoreWrapper(Store& target) : target_(target) {}
  Store& target() { return target_; }

  Status Ping() override { return target_.Ping(); }
  Result<std::optional<std::string>> HashGet(std::string_view k, std::string_view f) override { return target_.HashGet(k, f); }
  Result<std::vector<std::pair<std::string, std::string>>> HashGetAll(std::string_view k) override { return target_.HashGetAll(k); }
  Result<std::vector<std::string>> HashKeys(std::string_view k) override { return target_.HashKeys(k); }
  Result<std::vector<std::optional<std::string>>> HashGetMany(std::string_view k, const std::vector<std::string>& f) override {
    return target_.HashGetMany(k, f);
  }
  Result<long long> GetCounter(std::string_view k) override { return target_.GetCounter(k); }
  Result<std::vector<long long>> Apply(const WriteBatch& b) override { return target_.Apply(b); }
  Result<long long> AppendUnique(const std::vector<AppendGroup>& g, const std::vector<std::pair<std::string, std::string>>& s) override {
    return target_.AppendUnique(g, s);
  }
  Result<std::vector<std::optional<std::string>>> GetMany(const std::vector<std::string>& k) override { return target_.GetMany(k); }
  Result<std::vector<std::string>> SetMembers(std::string_view k) override { return target_.SetMembers(k); }
  Result<std::vector<std::string>> IndexRange(std::string_view k, std::string_view a, size_t n) override { return target_.IndexRange(k, a, n); }
  Result<std::vector<bool>> Exists(const std::vector<std::string>& k) override { return target_.Exists(k); }
  Result<std::vector<LogEntry>> LogRead(std::string_view l, std::string_view i, long long after, size_t n) override {
    return target_.LogRead(l, i, after, n);
  }
  Result<size_t> LogTrim(std::string_view l, std::string_view seen, long long below, size_t most) override {
    return target_.LogTrim(l, seen, below, most);
  }
  Result<LogSize> LogStat(std::string_view l) override { return target_.LogStat(l); }
  Status LogAddIndexes(std::string_view l, const std::vector<LogIndexing>& a) override { return target_.LogAddIndexes(l, a); }
  Result<std::optional<long long>> LogSeek(std::string_view l, long long t) override { return target_.LogSeek(l, t); }
  Result<std::optional<Versioned>> GetVersioned(std::string_view k) override { return target_.GetVersioned(k); }
  Result<std::vector<std::optional<Versioned>>> GetVersionedMany(const std::vector<std::string>& k) override { return target_.GetVersionedMany(k); }
  Result<std::vector<std::optional<long long>>> GetVersions(const std::vector<std::string>& k) override { return target_.GetVersions(k); }
  Result<std::vector<long long>> CompareAndSetAll(const std::vector<CasWrite>& w, const std::vector<AppendGroup>& a,
                                                  const Fence* f) override {
    return target_.CompareAndSetAll(w, a, f);
  }
  Result<std::optional<Lease>> AcquireLease(std::string_view n, std::string_view h, Millis ttl) override {
    return target_.AcquireLease(n, h, ttl);
  }
  Status ReleaseLease(std::string_view n, const Lease& l) override { return target_.ReleaseLease(n, l); }

 private:
  Store& target_;
};

}  // namespace icb
