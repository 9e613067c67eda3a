#include "broker/ports/copy.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <mutex>
#include <thread>

namespace icb {

namespace {

// Chunks from the reader thread to the writer's ByteSource, at most `limit` queued.
class ChunkPipe final : public ByteSource {
 public:
  explicit ChunkPipe(size_t limit) : limit_(limit) {}

  Status Push(std::string_view chunk) {
    if (chunk.empty()) return Status::Ok();  // an empty object's only chunk
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return queue_.size() < limit_ || closed_; });
    if (closed_) return Status(StatusCode::kFailedPrecondition, "copy: the writer stopped");
    queue_.emplace_back(chunk);
    cv_.notify_all();
    return Status::Ok();
  }
  void Finish(Status reader_status) {
    std::lock_guard lock(mu_);
    done_ = true;
    reader_status_ = std::move(reader_status);
    cv_.notify_all();
  }
  void Close() {  // the writer gave up: unblock the reader
    std::lock_guard lock(mu_);
    closed_ = true;
    cv_.notify_all();
  }
  Status reader_status() {
    std::lock_guard lock(mu_);
    return reader_status_;
  }

  Result<size_t> Read(char* buffer, size_t n) override {
    size_t got = 0;
    while (got < n) {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [&] { return !queue_.empty() || done_; });
      if (queue_.empty()) {
        if (!reader_status_.ok()) return reader_status_;
        break;  // end of the object
      }
      std::string& front = queue_.front();
      size_t k = std::min(n - got, front.size() - offset_);
      std::memcpy(buffer + got, front.data() + offset_, k);
      got += k;
      offset_ += k;
      if (offset_ == front.size()) {
        queue_.pop_front();
        offset_ = 0;
        cv_.notify_all();
      }
    }
    return got;
  }

 private:
  size_t limit_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::string> queue_;
  size_t offset_ = 0;
  bool done_ = false, closed_ = false;
  Status reader_status_ = Status::Ok();
};

}  // namespace

Status CopyObject(ObjectStore& from, const ObjectInfo& object, ObjectStore& to, const std::string& to_key, size_t queue_chunks,
                  const ChunkTap& tap) {
  ChunkPipe pipe(queue_chunks);
  std::thread reader([&] {
    Status st = from.Get(object.key, [&](std::string_view chunk) {
      if (tap) tap(chunk);
      return pipe.Push(chunk);
    });
    pipe.Finish(st);
  });
  Status written = to.Put(to_key, pipe, object.size);
  pipe.Close();
  reader.join();
  Status read = pipe.reader_status();
  if (!read.ok()) return read;  // the cause, rather than the writer's "source ended"
  return written;
}

Result<CopyResult> CopyPrefix(ObjectStore& from, const std::string& prefix, ObjectStore& to, int parallel) {
  ICB_ASSIGN_OR_RETURN(auto objects, ListAll(from, prefix));
  std::atomic<size_t> next{0};
  std::mutex mu;
  Status first_error = Status::Ok();
  CopyResult result;
  auto worker = [&] {
    for (size_t i; (i = next++) < objects.size();) {
      {
        std::lock_guard lock(mu);
        if (!first_error.ok()) return;
      }
      Status st = CopyObject(from, objects[i], to, objects[i].key);
      std::lock_guard lock(mu);
      if (!st.ok()) {
        if (first_error.ok()) first_error = st;
        return;
      }
      ++result.objects;
      result.bytes += objects[i].size;
    }
  };
  std::vector<std::thread> workers;
  for (int w = 0; w < std::max(1, parallel); ++w) workers.emplace_back(worker);
  for (auto& t : workers) t.join();
  if (!first_error.ok()) return first_error;
  return result;
}

}  // namespace icb
