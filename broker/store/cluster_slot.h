// Redis Cluster's key-to-slot mapping (its cluster specification): CRC16
// (XMODEM) of the key modulo 16384, where a key holding "{...}" with
// something between the braces is hashed on that part alone (its hash tag),
// so keys sharing a tag share a slot and one command or script may touch
// them all.
#pragma once

#include <string_view>

namespace icb {

inline constexpr int kClusterSlots = 16384;

// The part of `key` its slot is computed from: the hash tag, else the key.
std::string_view ClusterHashPart(std::string_view key);

int ClusterSlotOf(std::string_view key);

}  // namespace icb
