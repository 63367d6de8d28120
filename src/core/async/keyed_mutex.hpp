// Internal: one lock per key (a referrers index per subject), for coroutines on one executor.
#pragma once

#include "core/async/fifo_semaphore.hpp"

#include <boost/asio/awaitable.hpp>

#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>

namespace oras::detail {

/// Locks named by a string, taken in arrival order; a key's entry exists only while someone
/// holds or waits for it. Shared by `shared_ptr` so that a guard outlives whoever made it.
class keyed_mutex : public std::enable_shared_from_this<keyed_mutex> {
    struct entry {
        fifo_semaphore lock{1};
        std::size_t users = 0;  // holding or waiting
    };

  public:
    /// The lock of one key, held; released (handed on) when destroyed.
    class guard {
      public:
        guard(guard&& o) noexcept
            : owner_(std::move(o.owner_)), key_(std::move(o.key_)), entry_(std::move(o.entry_)) {}
        guard(const guard&) = delete;
        guard& operator=(const guard&) = delete;
        guard& operator=(guard&&) = delete;
        ~guard() {
            if (entry_) {
                entry_->lock.release();
                owner_->leave(key_, entry_);
            }
        }

      private:
        friend class keyed_mutex;
        guard(std::shared_ptr<keyed_mutex> owner, std::string key, std::shared_ptr<entry> e)
            : owner_(std::move(owner)), key_(std::move(key)), entry_(std::move(e)) {}
        std::shared_ptr<keyed_mutex> owner_;
        std::string key_;
        std::shared_ptr<entry> entry_;
    };

    /// Waits for the lock of `key`. Cancelling the wait throws `errc::cancelled` naming
    /// `what`, holding nothing.
    boost::asio::awaitable<guard> lock(std::string key, std::string what = "cancelled") {
        auto self = shared_from_this();
        auto& slot = entries_[key];
        if (!slot) {
            slot = std::make_shared<entry>();
        }
        auto e = slot;
        ++e->users;
        struct unless_taken {
            keyed_mutex& m;
            const std::string& key;
            const std::shared_ptr<entry>& e;
            bool taken = false;
            ~unless_taken() {
                if (!taken) {
                    m.leave(key, e);
                }
            }
        } g{*this, key, e};
        co_await e->lock.acquire(std::move(what));
        g.taken = true;
        co_return guard(std::move(self), std::move(key), std::move(e));
    }

    /// Keys with a holder or a waiter.
    std::size_t size() const noexcept { return entries_.size(); }

  private:
    void leave(const std::string& key, const std::shared_ptr<entry>& e) noexcept {
        if (--e->users == 0) {
            if (const auto it = entries_.find(key); it != entries_.end() && it->second == e) {
                entries_.erase(it);
            }
        }
    }

    std::map<std::string, std::shared_ptr<entry>, std::less<>> entries_;
};

}  // namespace oras::detail
