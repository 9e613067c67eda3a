// What S3 and Azure Blob answer: listings, error bodies, entities.
#include <cstdint>
#include <string_view>

#include "adapters/common/storage.h"
#include "adapters/common/xml.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view xml(reinterpret_cast<const char*>(data), size);
  (void)icb::ParseS3ListPage(xml);
  (void)icb::ParseAzureListPage(xml);
  (void)icb::XmlUnescape(xml);
  (void)icb::SummarizeXmlError(icb::Unavailable("s3 get: HTTP 403: " + std::string(xml)));
  return 0;
}
