#include "adapters/file/file_object_store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <random>

#include <nlohmann/json.hpp>

namespace icb {

namespace fs = std::filesystem;

namespace {

// Puts are written here first and renamed into place: a reader never sees
// half an object, and a Put that fails leaves nothing behind. Not listed.
constexpr const char* kTempDir = ".icb-partial";

Status Errno(const std::string& what) { return Unavailable(what + ": " + std::strerror(errno)); }

class FileObjectStore final : public ObjectStore {
 public:
  explicit FileObjectStore(FileStoreConfig c) : c_(std::move(c)), root_(c_.path) {}

  Status EnsureContainer() override {
    std::error_code ec;
    fs::create_directories(root_ / kTempDir, ec);
    if (ec) return Unavailable("file store " + c_.path + ": " + ec.message());
    return Status::Ok();
  }

  Result<ObjectPage> List(std::string_view prefix, std::string_view token, int max_keys) override {
    std::vector<ObjectInfo> all;
    std::error_code ec;
    if (!fs::exists(root_, ec)) return ObjectPage{};
    for (auto it = fs::recursive_directory_iterator(root_, fs::directory_options::none, ec); !ec && it != fs::recursive_directory_iterator();
         it.increment(ec)) {
      const fs::path rel = it->path().lexically_relative(root_);
      if (it->is_directory() && rel == kTempDir) {
        it.disable_recursion_pending();
        continue;
      }
      // Regular files only; symbolic links are not followed out of the folder.
      if (!it->is_regular_file() || it->is_symlink()) continue;
      const std::string key = rel.generic_string();
      if (!key.starts_with(prefix) || key <= token) continue;
      auto info = Info(key, it->path());
      if (info.ok()) all.push_back(std::move(*info));
    }
    if (ec) return Unavailable("file store " + c_.path + ": listing: " + ec.message());
    std::sort(all.begin(), all.end(), [](const ObjectInfo& a, const ObjectInfo& b) { return a.key < b.key; });
    ObjectPage page;
    const size_t n = std::min(all.size(), static_cast<size_t>(std::max(max_keys, 1)));
    page.objects.assign(std::make_move_iterator(all.begin()), std::make_move_iterator(all.begin() + static_cast<long>(n)));
    if (n < all.size()) page.next_token = page.objects.back().key;
    return page;
  }

  Result<ObjectInfo> Head(std::string_view key) override {
    ICB_RETURN_IF_ERROR(CheckPath(key));
    return Info(std::string(key), root_ / std::string(key));
  }

  Status Get(std::string_view key, const ByteSink& sink) override {
    ICB_RETURN_IF_ERROR(CheckPath(key));
    const fs::path p = root_ / std::string(key);
    int fd = open(p.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
      return errno == ENOENT || errno == ENOTDIR || errno == ELOOP ? NotFound("no object " + std::string(key)) : Errno("read " + std::string(key));
    }
    std::string buf(c_.chunk_bytes, '\0');
    Status out = Status::Ok();
    for (;;) {
      ssize_t n = read(fd, buf.data(), buf.size());
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        out = Errno("read " + std::string(key));
        break;
      }
      if (n == 0) break;
      out = sink(std::string_view(buf.data(), static_cast<size_t>(n)));
      if (!out.ok()) break;
    }
    close(fd);
    return out;
  }

  Status Put(std::string_view key, ByteSource& source, uint64_t size) override {
    ICB_RETURN_IF_ERROR(CheckPath(key));
    ICB_RETURN_IF_ERROR(EnsureContainer());
    const fs::path target = root_ / std::string(key);
    std::error_code ec;
    fs::create_directories(target.parent_path(), ec);
    if (ec) return FailedPrecondition("object " + std::string(key) + ": its folder cannot be made (" + ec.message() + ")");
    const fs::path temp = root_ / kTempDir / TempName();
    int fd = open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0) return Errno("write " + std::string(key));
    Status st = Copy(source, size, fd);
    if (st.ok() && fsync(fd) != 0) st = Errno("fsync " + std::string(key));
    if (close(fd) != 0 && st.ok()) st = Errno("close " + std::string(key));
    if (st.ok() && rename(temp.c_str(), target.c_str()) != 0) {
      st = errno == EISDIR ? FailedPrecondition("object " + std::string(key) + " would replace a folder of other objects")
                           : Errno("rename " + std::string(key));
    }
    if (!st.ok()) unlink(temp.c_str());
    return st;
  }

  Status Delete(std::string_view key) override {
    ICB_RETURN_IF_ERROR(CheckPath(key));
    fs::path p = root_ / std::string(key);
    if (unlink(p.c_str()) != 0 && errno != ENOENT && errno != ENOTDIR) return Errno("delete " + std::string(key));
    // Folders left empty go too (up to the root), as a store's prefixes do.
    std::error_code ec;
    for (p = p.parent_path(); p != root_ && p.string().size() > root_.string().size(); p = p.parent_path())
      if (!fs::remove(p, ec)) break;
    return Status::Ok();
  }

 private:
  // The key's syntax, and no folder on its way is a symbolic link (which
  // could lead out of the folder): such a key names no object here.
  Status CheckPath(std::string_view key) const {
    ICB_RETURN_IF_ERROR(CheckFileKey(key));
    fs::path p = root_;
    const fs::path rel{std::string(key)};
    for (auto it = rel.begin(); it != rel.end(); ++it) {
      p /= *it;
      if (std::next(it) == rel.end()) break;  // the object itself: lstat/O_NOFOLLOW see to it
      struct stat st;
      if (lstat(p.c_str(), &st) != 0) break;  // not there (yet)
      if (S_ISLNK(st.st_mode)) return NotFound("no object " + std::string(key) + " (a symbolic link is on its way)");
    }
    return Status::Ok();
  }

  Result<ObjectInfo> Info(const std::string& key, const fs::path& p) const {
    struct stat st;
    if (lstat(p.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return NotFound("no object " + key);
    ObjectInfo info;
    info.key = key;
    info.size = static_cast<uint64_t>(st.st_size);
    // A change marker, not a content hash (the migration hashes the bytes).
    char etag[64];
    std::snprintf(etag, sizeof etag, "%llx-%llx-%llx", static_cast<unsigned long long>(st.st_mtim.tv_sec),
                  static_cast<unsigned long long>(st.st_mtim.tv_nsec), static_cast<unsigned long long>(st.st_size));
    info.etag = etag;
    info.modified = TimePoint(std::chrono::duration_cast<TimePoint::duration>(std::chrono::seconds(st.st_mtim.tv_sec) +
                                                                              std::chrono::nanoseconds(st.st_mtim.tv_nsec)));
    return info;
  }

  Status Copy(ByteSource& source, uint64_t size, int fd) const {
    std::string buf(std::min<uint64_t>(c_.chunk_bytes, std::max<uint64_t>(size, 1)), '\0');
    uint64_t done = 0;
    while (done < size) {
      const size_t want = static_cast<size_t>(std::min<uint64_t>(buf.size(), size - done));
      ICB_ASSIGN_OR_RETURN(size_t n, source.Read(buf.data(), want));
      if (n == 0) return InvalidArgument("source ended after " + std::to_string(done) + " of " + std::to_string(size) + " bytes");
      for (size_t off = 0; off < n;) {
        ssize_t w = write(fd, buf.data() + off, n - off);
        if (w < 0 && errno == EINTR) continue;
        if (w < 0) return Errno("write");
        off += static_cast<size_t>(w);
      }
      done += n;
    }
    return Status::Ok();
  }

  static std::string TempName() {
    static std::atomic<uint64_t> counter{0};
    thread_local std::mt19937_64 rng{std::random_device{}()};
    return std::to_string(getpid()) + "-" + std::to_string(++counter) + "-" + std::to_string(rng());
  }

  FileStoreConfig c_;
  fs::path root_;
};

}  // namespace

Status CheckFileKey(std::string_view key) {
  auto bad = [&](const std::string& why) { return InvalidArgument("key \"" + std::string(key.substr(0, 200)) + "\" " + why); };
  if (key.empty()) return bad("is empty");
  if (key.find('\0') != std::string_view::npos) return bad("contains NUL");
  if (key.front() == '/') return bad("is absolute: keys are paths under the folder");
  if (key.back() == '/') return bad("ends with /: a key names a file");
  size_t start = 0;
  while (start <= key.size()) {
    size_t end = key.find('/', start);
    if (end == std::string_view::npos) end = key.size();
    std::string_view seg = key.substr(start, end - start);
    if (seg.empty()) return bad("has an empty segment (//)");
    if (seg == "." || seg == "..") return bad("has a \"" + std::string(seg) + "\" segment");
    if (seg.size() > 255) return bad("has a segment over 255 bytes");
    if (start == 0 && seg == kTempDir) return bad("is in the store's own partial-upload folder");
    start = end + 1;
  }
  return Status::Ok();
}

Status CheckUnderFileRoots(const std::string& path, const std::vector<std::string>& roots) {
  namespace fs = std::filesystem;
  if (roots.empty()) return PermissionDenied("the file object store is off: the broker was started without --file-roots");
  if (path.empty() || path.front() != '/') return PermissionDenied("file store path " + path + " is not absolute");
  std::error_code ec;
  const fs::path real = fs::weakly_canonical(fs::path(path), ec);
  if (ec) return PermissionDenied("file store path " + path + ": " + ec.message());
  for (const auto& root : roots) {
    const fs::path r(root);
    auto [end, at] = std::mismatch(r.begin(), r.end(), real.begin(), real.end());
    if (end == r.end()) return Status::Ok();
  }
  return PermissionDenied("file store path " + path + " is outside --file-roots");
}

Result<FileStoreConfig> FileStoreConfigFromJson(const nlohmann::json& c) {
  FileStoreConfig cfg;
  cfg.path = c.at("path").get<std::string>();
  while (cfg.path.size() > 1 && cfg.path.back() == '/') cfg.path.pop_back();
  if (c.contains("chunk_kib")) cfg.chunk_bytes = c["chunk_kib"].get<size_t>() << 10;
  return cfg;
}

std::unique_ptr<ObjectStore> NewFileObjectStore(FileStoreConfig config) { return std::make_unique<FileObjectStore>(std::move(config)); }

}  // namespace icb
