#include "broker/schema/json_input.h"

#include "broker/core/utf8.h"

namespace icb {

std::string DescribeParseError(const nlohmann::detail::exception& e) {
  // nlohmann's text: "[json.exception.parse_error.101] parse error at line 1, column 9:
  // syntax error while parsing value - invalid string: ill-formed UTF-8 byte; last read: '"<bytes>'"
  std::string what = e.what();
  if (auto bracket = what.find("] "); bracket != std::string::npos) what = what.substr(bracket + 2);
  if (auto last = what.find("; last read:"); last != std::string::npos) what.resize(last);
  return ToValidUtf8(what);
}

Result<nlohmann::json> ParseJsonBounded(std::string_view text, const JsonLimits& limits) {
  nlohmann::json out;
  nlohmann::detail::json_sax_dom_parser<nlohmann::json> dom(out, /*allow_exceptions=*/false);
  ICB_RETURN_IF_ERROR(SaxParseBounded(text, limits, dom));
  if (out.is_discarded()) return InvalidArgument("malformed JSON", {{"", "malformed JSON"}});
  return out;
}

}  // namespace icb
