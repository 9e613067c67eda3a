#include "broker/adapters/memory_object_store.h"

#include <map>
#include <mutex>

namespace icb {

namespace {

class MemoryObjectStore final : public ObjectStore {
 public:
  explicit MemoryObjectStore(size_t chunk) : chunk_(chunk) {}

  Status EnsureContainer() override { return Status::Ok(); }

  Result<ObjectPage> List(std::string_view prefix, std::string_view token, int max_keys) override {
    std::lock_guard lock(mu_);
    ObjectPage page;
    auto it = token.empty() ? objects_.lower_bound(std::string(prefix)) : objects_.upper_bound(std::string(token));
    for (; it != objects_.end() && it->first.compare(0, prefix.size(), prefix) == 0; ++it) {
      if (static_cast<int>(page.objects.size()) == max_keys) {
        page.next_token = page.objects.back().key;
        break;
      }
      page.objects.push_back({it->first, it->second.size(), std::to_string(std::hash<std::string>{}(it->second)), std::nullopt});
    }
    return page;
  }

  Result<ObjectInfo> Head(std::string_view key) override {
    std::lock_guard lock(mu_);
    auto it = objects_.find(std::string(key));
    if (it == objects_.end()) return NotFound("no object " + std::string(key));
    return ObjectInfo{it->first, it->second.size(), std::to_string(std::hash<std::string>{}(it->second)), std::nullopt};
  }

  Status Get(std::string_view key, const ByteSink& sink) override {
    std::string data;
    {
      std::lock_guard lock(mu_);
      auto it = objects_.find(std::string(key));
      if (it == objects_.end()) return NotFound("no object " + std::string(key));
      data = it->second;
    }
    if (data.empty()) return sink("");
    for (size_t at = 0; at < data.size(); at += chunk_) ICB_RETURN_IF_ERROR(sink(std::string_view(data).substr(at, chunk_)));
    return Status::Ok();
  }

  Status Put(std::string_view key, ByteSource& source, uint64_t size) override {
    std::string data;
    ICB_RETURN_IF_ERROR(ReadExactly(source, size, data));
    std::lock_guard lock(mu_);
    objects_[std::string(key)] = std::move(data);  // whole or not at all
    return Status::Ok();
  }

  Status Delete(std::string_view key) override {
    std::lock_guard lock(mu_);
    objects_.erase(std::string(key));
    return Status::Ok();
  }

 private:
  size_t chunk_;
  std::mutex mu_;
  std::map<std::string, std::string> objects_;
};

}  // namespace

std::unique_ptr<ObjectStore> NewMemoryObjectStore(size_t chunk) { return std::make_unique<MemoryObjectStore>(chunk); }

}  // namespace icb
