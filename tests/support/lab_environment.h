// One lab for the lab tests. Under ctest the lab.up and lab.down fixture
// tests bring it up before the first and down after the last
// (tests/lab/lab-fixture), and ICB_LAB_DIR names it. Run directly, the
// binary brings its own up before its first test and down after its last,
// also when tests fail, and nothing it started may survive. Registered once
// in lab_test.cc.
#pragma once

#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/support/child_process.h"
#include "tests/support/temp_dir.h"

namespace icb {

using nlohmann::json;

inline const std::string kLab = std::string(ICB_SOURCE_DIR) + "/deploy/lab/lab";

// One lab for the whole binary: up before the first test, down after the last
// (also when tests fail), and nothing it started may survive.
class LabEnvironment : public ::testing::Environment {
 public:
  void SetUp() override {
    if (const char* shared = std::getenv("ICB_LAB_DIR"); shared && *shared) {
      dir_path_ = shared;
      std::ifstream in(dir_path_ + "/lab.json");
      if (!in) {
        up_output_ = "no lab.json in " + dir_path_ + " (did the lab.up test pass?)";
        return;
      }
      lab_ = json::parse(in);
      return;
    }
    dir_ = std::make_unique<testing::TempDir>();
    dir_path_ = dir_->path();
    // --owner: should this binary crash, the lab still goes down.
    auto [rc, out] = testing::RunShell(kLab + " up " + dir_->path() + " --owner " + std::to_string(getpid()));
    up_output_ = out;
    if (rc != 0) return;
    std::ifstream in(dir_->path() + "/lab.json");
    lab_ = json::parse(in);
    std::ifstream pids(dir_->path() + "/pids");
    for (std::string name; pids >> name;) {
      int pgid = 0;
      pids >> pgid;
      groups_.push_back(pgid);
    }
  }
  void TearDown() override {
    if (!dir_) return;  // the fixture's lab: lab.down takes it down
    auto [rc, out] = testing::RunShell(kLab + " down " + dir_->path());
    EXPECT_EQ(rc, 0) << out;
    for (int g : groups_) {
      // A killed process lingers as a zombie until init reaps it: allow that a moment.
      bool gone = false;
      for (int i = 0; i < 100 && !gone; ++i) {
        gone = kill(-g, 0) != 0;
        if (!gone) std::this_thread::sleep_for(std::chrono::milliseconds(50));
      }
      EXPECT_TRUE(gone) << "process group " << g << " survived lab down";
    }
    dir_.reset();
  }
  static const json* Lab() { return lab_.is_null() ? nullptr : &lab_; }
  // The lab's directory: lab.json, catalog/, credentials.json.
  static const std::string& Dir() { return dir_path_; }
  static const std::string& UpOutput() { return up_output_; }
  // Puts the lab back to its start state (`lab reset`: the simulated
  // providers, the DNS zone, HAProxy's weights). Every lab test starts so,
  // whatever ran before it: `ctest --repeat` runs them again on one lab.
  static std::pair<int, std::string> Reset() { return testing::RunShell(kLab + " reset " + dir_path_ + " 2>&1"); }
  // Unique to this run of the test binary: for the ids of what tests write
  // where `lab reset` does not reach (objects in the lab's stores).
  static const std::string& RunId() {
    static const std::string id = [] {
      std::random_device rd;
      char buf[16];
      std::snprintf(buf, sizeof buf, "%06x", rd() & 0xffffff);
      return std::string(buf);
    }();
    return id;
  }

 private:
  std::unique_ptr<testing::TempDir> dir_;
  std::vector<int> groups_;
  static inline json lab_;
  static inline std::string up_output_;
  static inline std::string dir_path_;
};

}  // namespace icb
