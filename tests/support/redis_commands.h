// One command to a Redis server on loopback, over a connection of its own:
// what test fixtures use to set servers up and look at them.
#pragma once

#include <string>
#include <vector>

namespace icb::testing {

// The reply flattened to text (an array's elements one per line), or
// "ERR: ..." / "" when there is none.
std::string AskRedis(int port, const std::vector<std::string>& args);

// How many entries an array reply has (-1: no array).
int CountRedis(int port, const std::vector<std::string>& args);

}  // namespace icb::testing
