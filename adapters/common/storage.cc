#include "adapters/common/storage.h"

#include "adapters/common/xml.h"
#include "broker/core/time.h"

namespace icb {

std::string Unquote(std::string s) {
  if (s.size() >= 2 && s.front() == '"' && s.back() == '"') return s.substr(1, s.size() - 2);
  return s;
}

Result<uint64_t> ParseObjectSize(std::string_view text, std::string_view what) {
  uint64_t v = 0;
  if (text.empty() || text.size() > 20) return Unavailable(std::string(what) + ": the provider sent an invalid object size");
  for (char c : text) {
    if (c < '0' || c > '9' || v > (UINT64_MAX - static_cast<uint64_t>(c - '0')) / 10) {
      return Unavailable(std::string(what) + ": the provider sent an invalid object size");
    }
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  return v;
}

Result<ObjectInfo> ObjectInfoFromHead(std::string_view key, const HttpClientResponse& head) {
  ObjectInfo info;
  info.key = std::string(key);
  ICB_ASSIGN_OR_RETURN(info.size, ParseObjectSize(head.Header("content-length"), "head " + std::string(key)));
  info.etag = Unquote(head.Header("etag"));
  return info;
}

Result<ObjectPage> ParseS3ListPage(std::string_view xml) {
  ObjectPage page;
  for (const auto& block : XmlBlocks(xml, "Contents")) {
    ObjectInfo info;
    info.key = XmlText(block, "Key");
    ICB_ASSIGN_OR_RETURN(info.size, ParseObjectSize(XmlText(block, "Size"), "s3 list"));
    info.etag = Unquote(XmlText(block, "ETag"));
    info.modified = ParseRfc3339(XmlText(block, "LastModified"));
    page.objects.push_back(std::move(info));
  }
  if (XmlText(xml, "IsTruncated") == "true") page.next_token = XmlText(xml, "NextContinuationToken");
  return page;
}

Result<ObjectPage> ParseAzureListPage(std::string_view xml) {
  ObjectPage page;
  for (const auto& block : XmlBlocks(xml, "Blob")) {
    ObjectInfo info;
    info.key = XmlText(block, "Name");
    ICB_ASSIGN_OR_RETURN(info.size, ParseObjectSize(XmlText(block, "Content-Length"), "azure list"));
    info.etag = Unquote(XmlText(block, "Etag"));
    page.objects.push_back(std::move(info));
  }
  page.next_token = XmlText(xml, "NextMarker");
  return page;
}

}  // namespace icb
