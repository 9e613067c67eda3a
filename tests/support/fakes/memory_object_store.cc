#include "tests/support/fakes/memory_object_store.h"

#include <map>
#include <mutex>

namespace icb {

namespace {

class MemoryObjectStore final : public ObjectStore {
 public:
  MemoryObjectStore(size_t chunk, uint64_t part_size) : chunk_(chunk), part_size_(part_size) {}

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

  uint64_t PartSize() const override { return part_size_; }

  Result<std::string> StartParts(std::string_view key) override {
    if (part_size_ == 0) return ObjectStore::StartParts(key);
    std::lock_guard lock(mu_);
    std::string id = "upload-" + std::to_string(++uploads_made_);
    uploads_[id] = {std::string(key), {}};
    return id;
  }

  Result<std::string> PutPart(std::string_view key, std::string_view upload, int number, std::string_view data) override {
    std::lock_guard lock(mu_);
    auto it = uploads_.find(std::string(upload));
    if (it == uploads_.end() || it->second.key != key) return NotFound("no upload " + std::string(upload));
    it->second.parts[number] = std::string(data);
    return "part-" + std::to_string(number) + "-" + std::to_string(std::hash<std::string_view>{}(data));
  }

  Status CompleteParts(std::string_view key, std::string_view upload, const std::vector<std::string>& tags) override {
    std::lock_guard lock(mu_);
    auto it = uploads_.find(std::string(upload));
    if (it == uploads_.end() || it->second.key != key) return NotFound("no upload " + std::string(upload));
    std::string data;
    for (size_t i = 0; i < tags.size(); ++i) {
      auto part = it->second.parts.find(static_cast<int>(i + 1));
      if (part == it->second.parts.end()) return InvalidArgument("upload " + std::string(upload) + " has no part " + std::to_string(i + 1));
      if (tags[i] != "part-" + std::to_string(i + 1) + "-" + std::to_string(std::hash<std::string_view>{}(part->second)))
        return InvalidArgument("part " + std::to_string(i + 1) + "'s tag does not match");
      data += part->second;
    }
    objects_[std::string(key)] = std::move(data);
    uploads_.erase(it);
    return Status::Ok();
  }

  Status AbortParts(std::string_view, std::string_view upload) override {
    std::lock_guard lock(mu_);
    uploads_.erase(std::string(upload));
    return Status::Ok();
  }

 private:
  struct Upload {
    std::string key;
    std::map<int, std::string> parts;
  };
  size_t chunk_;
  uint64_t part_size_;
  std::mutex mu_;
  std::map<std::string, std::string> objects_;
  std::map<std::string, Upload> uploads_;
  int uploads_made_ = 0;
};

}  // namespace

std::unique_ptr<ObjectStore> NewMemoryObjectStore(size_t chunk, uint64_t part_size) { return std::make_unique<MemoryObjectStore>(chunk, part_size); }

}  // namespace icb
