// Internal: the state behind `ops::copy_context`.
#pragma once

#include <oras/content/target.hpp>
#include <oras/digest.hpp>
#include <oras/ops/copy_context.hpp>

#include "core/async/fifo_semaphore.hpp"
#include "core/async/shared_flight.hpp"

#include <algorithm>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace oras::ops::detail {

struct copy_context_state {
    explicit copy_context_state(std::size_t limit) : max_transfers(limit), budget(limit) {}

    /// Where `digest` is stored, as far as this context has seen.
    std::vector<content::target*> holders(const digest& d) const {
        const auto it = ledger.find(d.str());
        return it == ledger.end() ? std::vector<content::target*>{} : it->second;
    }
    bool has(const content::target* t, const digest& d) const {
        const auto it = ledger.find(d.str());
        return it != ledger.end()
               && std::find(it->second.begin(), it->second.end(), t) != it->second.end();
    }
    void record(content::target* t, const digest& d) {
        auto& v = ledger[d.str()];
        if (std::find(v.begin(), v.end(), t) == v.end()) {
            v.push_back(t);
        }
    }
    /// The flight key of `d` into `t`.
    static std::string key(const content::target* t, const digest& d) {
        return std::to_string(reinterpret_cast<std::uintptr_t>(t)) + "|" + d.str();
    }

    std::size_t max_transfers;
    oras::detail::fifo_semaphore budget;
    std::map<std::string, std::vector<content::target*>, std::less<>> ledger;
    oras::detail::flight_map<bool> flights;
    /// Blobs being moved now: digest -> (destination, its flight key), so that a copy into
    /// another repository of the same registry waits and mounts instead of sending it again.
    std::map<std::string, std::pair<content::target*, std::string>, std::less<>> moving;
    copy_context::statistics stats;
};

}  // namespace oras::ops::detail
