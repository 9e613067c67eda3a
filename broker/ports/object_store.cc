#include "broker/ports/object_store.h"

namespace icb {

Status ObjectStore::GetRange(std::string_view key, uint64_t offset, uint64_t length, const ByteSink& sink) {
  uint64_t at = 0, sent = 0;
  Status st = Get(key, [&](std::string_view chunk) -> Status {
    uint64_t begin = at, end = at + chunk.size();
    at = end;
    if (end <= offset || sent == length) return Status::Ok();
    uint64_t from = offset > begin ? offset - begin : 0;
    uint64_t n = std::min<uint64_t>(chunk.size() - from, length - sent);
    sent += n;
    return sink(chunk.substr(from, n));
  });
  ICB_RETURN_IF_ERROR(st);
  if (sent != length) return InvalidArgument("object " + std::string(key) + " has no bytes " + std::to_string(offset) + "-" + std::to_string(offset + length - 1));
  return Status::Ok();
}

namespace {
Status NoParts() { return Status(StatusCode::kUnsupported, "this object store has no uploads in parts"); }
}  // namespace

Result<std::string> ObjectStore::StartParts(std::string_view) { return NoParts(); }
Result<std::string> ObjectStore::PutPart(std::string_view, std::string_view, int, std::string_view) { return NoParts(); }
Status ObjectStore::CompleteParts(std::string_view, std::string_view, const std::vector<std::string>&) { return NoParts(); }
Status ObjectStore::AbortParts(std::string_view, std::string_view) { return NoParts(); }

}  // namespace icb
