#include "broker/orchestrator/data/data_mover.h"

#include "broker/core/call_priority.h"
#include "broker/orchestrator/data/verified_copy.h"

namespace icb {

namespace {
constexpr Millis kProgressEvery{500};
}  // namespace

struct DataMover::Job {
  Job(Store& store, MoveSpec s) : spec(std::move(s)), manifest(store, spec.operation) {}
  MoveSpec spec;
  int priority = CallPriority::kBackground;
  Manifest manifest;
  std::vector<ManifestObject> objects;
  MonoTime started{};
  std::atomic<bool> stop{false};
  std::mutex mu;  // the fields below, and the progress record's writes
  size_t remaining = 0;
  MoveState state;
  uint64_t finished_bytes = 0;   // of finished objects
  std::map<size_t, uint64_t> partial;  // bytes stored of objects in progress
  MonoTime progress_written{};
};

DataMover::DataMover(Store& store, ProviderAdapters& adapters, const Clock& clock, int transfers)
    : store_(store), adapters_(adapters), clock_(clock), transfers_(std::max(0, transfers)) {}

DataMover::~DataMover() {
  {
    std::lock_guard lock(mu_);
    shutting_down_ = true;
    for (auto& [id, job] : jobs_) job->stop = true;
  }
  cv_.notify_all();
  for (auto& t : workers_) t.join();
}

void DataMover::Start(const MoveSpec& spec, std::vector<ManifestObject> objects) {
  auto job = std::make_shared<Job>(store_, spec);
  job->started = clock_.Monotonic();
  job->priority = CallPriority::Current();
  job->objects = std::move(objects);
  auto& p = job->state.progress;
  p.objects_total = job->objects.size();
  std::vector<size_t> unfinished;
  for (size_t i = 0; i < job->objects.size(); ++i) {
    const ManifestObject& o = job->objects[i];
    p.bytes_total += o.size;
    if (o.finished()) {
      ++p.objects_done;
      job->finished_bytes += o.size;
      if (o.state == ObjectCopyState::kVerified) ++job->state.verified;
      if (o.state == ObjectCopyState::kVanished) ++job->state.vanished;
      if (o.state == ObjectCopyState::kFailed) {
        ++job->state.failed;
        if (job->state.first_failed.empty()) job->state.first_failed = o.key + ": " + o.error;
      }
    } else {
      unfinished.push_back(i);
    }
  }
  p.bytes_done = job->finished_bytes;
  job->remaining = unfinished.size();
  job->state.running = !unfinished.empty();
  {
    std::lock_guard lock(mu_);
    if (jobs_.count(spec.operation) && jobs_[spec.operation]->state.running) return;
    jobs_[spec.operation] = job;
    if (transfers_ > 0) {
      for (size_t slot : unfinished) queue_.emplace(std::pair{job->priority, arrivals_++}, std::pair{job, slot});
      while (static_cast<int>(workers_.size()) < transfers_) workers_.emplace_back([this] { Work(); });
    }
  }
  WriteProgress(*job, true);
  if (transfers_ == 0) {
    for (size_t slot : unfinished) Copy(*job, slot);  // no workers: copied here, one by one
    return;
  }
  cv_.notify_all();
}

std::optional<MoveState> DataMover::Poll(const std::string& operation) {
  std::shared_ptr<Job> job;
  {
    std::lock_guard lock(mu_);
    auto it = jobs_.find(operation);
    if (it == jobs_.end()) return std::nullopt;
    job = it->second;
  }
  std::lock_guard lock(job->mu);
  return job->state;
}

void DataMover::Stop(const std::string& operation) {
  std::lock_guard lock(mu_);
  auto it = jobs_.find(operation);
  if (it == jobs_.end()) return;
  it->second->stop = true;
  jobs_.erase(it);
}

void DataMover::Work() {
  for (;;) {
    std::pair<std::shared_ptr<Job>, size_t> item;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [&] { return shutting_down_ || !queue_.empty(); });
      if (shutting_down_) return;
      item = std::move(queue_.begin()->second);
      queue_.erase(queue_.begin());
    }
    CallPriority urgency(item.first->priority);
    Copy(*item.first, item.second);
  }
}

void DataMover::Copy(Job& job, size_t slot) {
  ManifestObject& o = job.objects[slot];
  Status st = Status::Ok();
  if (job.stop) {
    st = Aborted("stopped");
  } else {
    auto from = adapters_.Objects(job.spec.source);
    auto to = adapters_.Objects(job.spec.target);
    if (!from.ok()) st = from.status();
    else if (!to.ok()) st = to.status();
    else {
      CopyHooks hooks;
      hooks.save = [&](ManifestObject& rec) { return job.manifest.Write(rec, job.spec.fence); };
      hooks.wrote = [&](uint64_t n) {
        {
          std::lock_guard lock(job.mu);
          job.partial[slot] += n;
          job.state.progress.bytes_written += n;
        }
        WriteProgress(job, false);
      };
      hooks.stopped = [&] { return job.stop.load(); };
      st = CopyVerified(**from, **to, o, hooks);
    }
  }
  bool last = false;
  {
    std::lock_guard lock(job.mu);
    job.partial.erase(slot);
    --job.remaining;
    if (!st.ok()) {
      // A provider or store error stops the whole job: the step looks at
      // why and starts it again, from the records, or gives up.
      if (job.state.status.ok()) job.state.status = st;
      job.stop = true;
    } else {
      ++job.state.progress.objects_done;
      job.finished_bytes += o.size;
      if (o.state == ObjectCopyState::kVerified) ++job.state.verified;
      if (o.state == ObjectCopyState::kVanished) ++job.state.vanished;
      if (o.state == ObjectCopyState::kFailed) {
        ++job.state.failed;
        if (job.state.first_failed.empty()) job.state.first_failed = o.key + ": " + o.error;
      }
    }
    last = job.remaining == 0;
  }
  WriteProgress(job, last);
  if (last) {
    std::lock_guard lock(job.mu);
    job.state.running = false;
  }
}

void DataMover::WriteProgress(Job& job, bool force) {
  std::lock_guard lock(job.mu);
  const MonoTime now = clock_.Monotonic();
  if (!force && now - job.progress_written < kProgressEvery) return;
  auto& p = job.state.progress;
  uint64_t partial = 0;
  for (const auto& [slot, n] : job.partial) partial += n;
  p.bytes_done = std::min(p.bytes_total, job.finished_bytes + partial);
  const double elapsed = std::chrono::duration<double>(now - job.started).count();
  p.bytes_per_s = elapsed > 0 ? static_cast<double>(p.bytes_written) / elapsed : 0;
  if (p.bytes_per_s > 0) p.eta_s = static_cast<double>(p.bytes_total - p.bytes_done) / p.bytes_per_s;
  else if (p.bytes_done == p.bytes_total) p.eta_s = 0.0;
  job.progress_written = now;
  (void)job.manifest.PutProgress(p, job.spec.fence);  // a lost write: the next one catches up
}

}  // namespace icb
