// A target that forwards every call to a memory store: what tests derive from to watch or bend
// one operation of a destination or a source.
#pragma once

#include <oras/byte_source.hpp>
#include <oras/content/memory_store.hpp>
#include <oras/content/target.hpp>
#include <oras/descriptor.hpp>

#include <boost/asio/awaitable.hpp>

#include <string>
#include <utility>

namespace oras::test {

/// The target interface of a memory store, forwarded.
class forwarding : public oras::content::target {
  public:
    explicit forwarding(oras::content::memory_store& to) : to_(to) {}
    boost::asio::awaitable<bool> exists(descriptor d) override { return to_.exists(std::move(d)); }
    boost::asio::awaitable<byte_source> open(descriptor d) override {
        return to_.open(std::move(d));
    }
    boost::asio::awaitable<void> push(descriptor d, byte_source src) override {
        return to_.push(std::move(d), std::move(src));
    }
    boost::asio::awaitable<descriptor> push_unknown(std::string mt, byte_source src) override {
        return to_.push_unknown(std::move(mt), std::move(src));
    }
    boost::asio::awaitable<descriptor> resolve(std::string ref) override {
        return to_.resolve(std::move(ref));
    }
    boost::asio::awaitable<void> tag(descriptor d, std::string ref) override {
        return to_.tag(std::move(d), std::move(ref));
    }

  protected:
    oras::content::memory_store& to_;
};

}  // namespace oras::test
