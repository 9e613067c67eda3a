#include "adapters/common/xml.h"

#include <cstdlib>

#include "broker/core/markup.h"

namespace icb {

namespace {

void AppendUtf8(std::string& out, unsigned long cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

}  // namespace

std::string XmlUnescape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '&') {
      out += s[i];
      continue;
    }
    size_t semi = s.find(';', i);
    if (semi == std::string_view::npos) {
      out += s[i];
      continue;
    }
    std::string_view ent = s.substr(i + 1, semi - i - 1);
    if (ent == "amp") out += '&';
    else if (ent == "lt") out += '<';
    else if (ent == "gt") out += '>';
    else if (ent == "quot") out += '"';
    else if (ent == "apos") out += '\'';
    else if (!ent.empty() && ent[0] == '#') {
      std::string num(ent.substr(1));
      unsigned long cp = num.size() > 1 && (num[0] == 'x' || num[0] == 'X') ? std::strtoul(num.c_str() + 1, nullptr, 16) : std::strtoul(num.c_str(), nullptr, 10);
      AppendUtf8(out, cp);
    } else {
      out.append(s.substr(i, semi - i + 1));
    }
    i = semi;
  }
  return out;
}

std::string XmlEscape(std::string_view s) { return EscapeMarkup(s); }

std::vector<std::string> XmlBlocks(std::string_view xml, std::string_view tag) {
  std::vector<std::string> out;
  std::string open = "<" + std::string(tag) + ">", close = "</" + std::string(tag) + ">";
  size_t at = 0;
  while ((at = xml.find(open, at)) != std::string_view::npos) {
    size_t start = at + open.size();
    size_t end = xml.find(close, start);
    if (end == std::string_view::npos) break;
    out.emplace_back(xml.substr(start, end - start));
    at = end + close.size();
  }
  return out;
}

std::string XmlText(std::string_view xml, std::string_view tag) {
  std::string open = "<" + std::string(tag) + ">", close = "</" + std::string(tag) + ">";
  size_t at = xml.find(open);
  if (at == std::string_view::npos) return "";
  size_t start = at + open.size();
  size_t end = xml.find(close, start);
  if (end == std::string_view::npos) return "";
  return XmlUnescape(xml.substr(start, end - start));
}

Status SummarizeXmlError(const Status& s) {
  if (s.ok()) return s;
  const std::string& m = s.message();
  size_t http = m.find(": HTTP ");
  if (http == std::string::npos) return s;
  size_t detail = m.find(": ", http + 7);
  if (detail == std::string::npos) return s;
  std::string body = m.substr(detail + 2);
  std::string code = XmlText(body, "Code"), message = XmlText(body, "Message");
  message = message.substr(0, message.find('\n'));
  std::string summary = code + (message.empty() ? "" : (code.empty() ? "" : ": ") + message);
  return Status(s.code(), m.substr(0, detail) + (summary.empty() ? "" : ": " + summary));
}

}  // namespace icb
