// Named entries: adapters by capability, ranking and trigger policies,
// operation kinds. A name is registered once: a second registration is
// refused, so what runs under a name never depends on the order in which
// things registered. A test that needs another entry under a name says so
// with ReplaceForTesting.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "broker/core/status.h"

namespace icb {

template <typename T>
class NamedRegistry {
 public:
  // `what` names an entry in messages ("operation kind", "ranking policy").
  explicit NamedRegistry(std::string what) : what_(std::move(what)) {}

  // AlreadyExists when `name` is registered.
  Status Add(std::string name, T value) {
    if (entries_.count(name)) return Status(StatusCode::kAlreadyExists, what_ + " \"" + name + "\" is registered already");
    entries_.emplace(std::move(name), std::move(value));
    return Status::Ok();
  }
  // Tests only: puts `value` in place of what `name` holds (NotFound when
  // nothing does: a replacement replaces).
  Status ReplaceForTesting(std::string_view name, T value) {
    auto it = entries_.find(name);
    if (it == entries_.end()) return Status(StatusCode::kNotFound, "no " + what_ + " \"" + std::string(name) + "\" to replace");
    it->second = std::move(value);
    return Status::Ok();
  }
  // Null when unknown.
  const T* Find(std::string_view name) const {
    auto it = entries_.find(name);
    return it == entries_.end() ? nullptr : &it->second;
  }
  std::vector<std::string> Names() const {
    std::vector<std::string> out;
    for (const auto& [name, value] : entries_) out.push_back(name);
    return out;
  }
  const std::string& what() const { return what_; }

 private:
  std::string what_;
  std::map<std::string, T, std::less<>> entries_;
};

// For registrations fixed in code (the built-in adapters, policies and
// kinds): a refusal there is a programming error, so the process stops at
// start with the message instead of running with either entry.
void MustRegister(const Status& registered);

}  // namespace icb
