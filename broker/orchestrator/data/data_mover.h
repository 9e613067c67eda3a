// The broker's data mover: one small pool of transfer workers (like
// rclone's --transfers) that copies the objects of every migration and
// replication in progress, so a large copy never holds up the runner. The
// copy step starts a job and polls it; the job's workers record each
// object's progress in the manifest, fenced by the epoch the step held
// when it started the job, and keep a progress record for
// GET /v1/operations/{id}. Objects wait their turn most urgent first: the
// CallPriority of the step that started their job (its workload's), then
// in the order they came; a worker copies with that priority, so its calls
// queue at the providers' gates by it too.
#pragma once

#include <atomic>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "broker/orchestrator/data/manifest.h"
#include "broker/orchestrator/providers/provider_adapters.h"
#include "broker/store/store.h"

namespace icb {

struct MoveSpec {
  std::string operation;
  std::string source, target;  // provider ids
  Fence fence;
};

struct MoveState {
  bool running = true;
  Status status = Status::Ok();  // the provider or store error that stopped the job
  size_t verified = 0, vanished = 0, failed = 0;
  std::string first_failed;      // an object that failed, and why
  MigrationProgress progress;
};

class DataMover {
 public:
  // `transfers` workers copy at once; 0: none, Start copies every object
  // before it returns (deterministic unit tests).
  DataMover(Store& store, ProviderAdapters& adapters, const Clock& clock, int transfers = 4);
  ~DataMover();
  DataMover(const DataMover&) = delete;
  DataMover& operator=(const DataMover&) = delete;

  // Copies the unfinished ones of `objects` (the whole manifest: finished
  // ones count as done) unless a job for the operation runs already.
  void Start(const MoveSpec& spec, std::vector<ManifestObject> objects);
  // The operation's job in this broker; nullopt: none.
  std::optional<MoveState> Poll(const std::string& operation);
  // Stops a job (cancelled, or its operation ended) and forgets it; its
  // workers finish the part they are on.
  void Stop(const std::string& operation);

 private:
  struct Job;
  void Work();
  void Copy(Job& job, size_t slot);
  void WriteProgress(Job& job, bool force);

  Store& store_;
  ProviderAdapters& adapters_;
  const Clock& clock_;
  const int transfers_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::map<std::string, std::shared_ptr<Job>> jobs_;
  // (priority, arrival) -> the job and its object's slot: the first is next.
  std::map<std::pair<int, uint64_t>, std::pair<std::shared_ptr<Job>, size_t>> queue_;
  uint64_t arrivals_ = 0;
  std::vector<std::thread> workers_;
  bool shutting_down_ = false;
};

}  // namespace icb
