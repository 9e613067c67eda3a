// An ObjectStore that forwards every call to another (LevelDB's
// EnvWrapper): tests derive from it to fail, corrupt or count calls, and
// the port hands out owners of stores a fake keeps.
#pragma once

#include "broker/ports/object_store.h"

namespace icb {

class ObjectStoreWrapper : public ObjectStore {
 public:
  explicit ObjectStoreWrapper(ObjectStore& target) : target_(target) {}
  ObjectStore& target() { return target_; }

  Status EnsureContainer() override { return target_.EnsureContainer(); }
  Result<ObjectPage> List(std::string_view p, std::string_view t, int n) override { return target_.List(p, t, n); }
  Result<ObjectInfo> Head(std::string_view k) override { return target_.Head(k); }
  Status Get(std::string_view k, const ByteSink& s) override { return target_.Get(k, s); }
  Status Put(std::string_view k, ByteSource& s, uint64_t n) override { return target_.Put(k, s, n); }
  Status Delete(std::string_view k) override { return target_.Delete(k); }
  Status GetRange(std::string_view k, uint64_t o, uint64_t n, const ByteSink& s) override { return target_.GetRange(k, o, n, s); }
  uint64_t PartSize() const override { return target_.PartSize(); }
  Result<std::string> StartParts(std::string_view k) override { return target_.StartParts(k); }
  Result<std::string> PutPart(std::string_view k, std::string_view u, int n, std::string_view d) override { return target_.PutPart(k, u, n, d); }
  Status CompleteParts(std::string_view k, std::string_view u, const std::vector<std::string>& t) override { return target_.CompleteParts(k, u, t); }
  Status AbortParts(std::string_view k, std::string_view u) override { return target_.AbortParts(k, u); }

 private:
  ObjectStore& target_;
};

}  // namespace icb
