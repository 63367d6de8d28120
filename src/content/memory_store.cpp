#include <oras/content/memory_store.hpp>
#include <oras/error.hpp>
#include <oras/hasher.hpp>
#include <oras/media_type.hpp>
#include <oras/reference.hpp>
#include <oras/verifier.hpp>

#include "content/drain.hpp"
#include "core/quote.hpp"

#include <algorithm>
#include <string_view>
#include <vector>

namespace oras::content {

namespace asio = boost::asio;

namespace {

// Small enough not to matter for a manifest, large enough to keep a big blob's read loop short.
constexpr std::size_t chunk_size = 64 * 1024;

[[noreturn]] void fail(errc e, const std::string& message) {
    throw error(make_error_code(e), message);
}

void check_descriptor(const descriptor& desc) {
    if (desc.digest.empty()) {
        fail(errc::invalid_argument, "descriptor has no digest");
    }
    if (desc.size < 0) {
        fail(errc::invalid_argument, "descriptor of " + desc.digest.str() + " has negative size "
                                         + std::to_string(desc.size));
    }
}

// Reads `src` to its end, handing each chunk to `consume` and appending it to the result.
template <class Consume>
asio::awaitable<std::string> read_all(byte_source& src, Consume consume) {
    std::string out;
    const auto keep = [&](std::span<const std::byte> chunk) {
        consume(chunk);
        out.append(reinterpret_cast<const char*>(chunk.data()), chunk.size());
    };
    co_await detail::drain(src, chunk_size, keep);
    co_return out;
}

}  // namespace

asio::awaitable<bool> memory_store::exists(descriptor desc) {
    const auto it = blobs_.find(desc.digest);
    co_return it != blobs_.end() && it->second.desc.size == desc.size;
}

asio::awaitable<byte_source> memory_store::open(descriptor desc) {
    check_descriptor(desc);
    const auto it = blobs_.find(desc.digest);
    if (it == blobs_.end()) {
        fail(errc::not_found, desc.digest.str() + " is not in the memory store");
    }
    if (static_cast<std::int64_t>(it->second.bytes->size()) != desc.size) {
        fail(errc::size_mismatch, desc.digest.str() + " has "
                                      + std::to_string(it->second.bytes->size())
                                      + " bytes, the descriptor says " + std::to_string(desc.size));
    }
    // Verified when stored and never changed since: no second hash.
    auto r = byte_source::from_shared(it->second.bytes);
    r.set_checked(byte_source::check::verified);
    co_return r;
}

asio::awaitable<void> memory_store::push(descriptor desc, byte_source src) {
    check_descriptor(desc);
    if (src.length() && *src.length() != static_cast<std::uint64_t>(desc.size)) {
        fail(errc::size_mismatch, "source of " + desc.digest.str() + " has "
                                      + std::to_string(*src.length())
                                      + " bytes, the descriptor says " + std::to_string(desc.size));
    }
    if (const auto it = blobs_.find(desc.digest); it != blobs_.end()) {
        if (it->second.desc.size != desc.size) {
            fail(errc::size_mismatch,
                 desc.digest.str() + " is stored with " + std::to_string(it->second.desc.size)
                     + " bytes, the descriptor says " + std::to_string(desc.size));
        }
        co_return;  // same digest and size: the same content; the source is not read
    }
    // A reader that verifies itself (`content::verified`) is not hashed a second time.
    const bool hash_here = !src.verified();
    verifier v(desc.digest, desc.size);
    const auto check = [&v, hash_here](std::span<const std::byte> chunk) {
        if (auto ok = hash_here ? v.update(chunk) : result<void>{}; !ok) {
            throw error(ok.error());
        }
    };
    auto data = co_await read_all(src, check);
    if (auto ok = hash_here ? v.finish() : result<void>{}; !ok) {
        throw error(ok.error());
    }
    // Another coroutine may have stored the same content while we were reading: keep the first.
    blobs_.try_emplace(desc.digest,
                       entry{desc, std::make_shared<const std::string>(std::move(data))});
}

asio::awaitable<descriptor> memory_store::push_unknown(std::string media_type, byte_source src) {
    if (!media_type::is_valid(media_type)) {
        fail(errc::invalid_media_type,
             "media type " + oras::detail::quote(media_type) + " is not valid");
    }
    hasher h;
    const auto hash = [&h](std::span<const std::byte> chunk) { h.update(chunk); };
    auto data = co_await read_all(src, hash);
    descriptor desc;
    desc.media_type = std::move(media_type);
    desc.digest = h.finish();
    desc.size = static_cast<std::int64_t>(data.size());
    blobs_.try_emplace(desc.digest,
                       entry{desc, std::make_shared<const std::string>(std::move(data))});
    co_return desc;
}

asio::awaitable<descriptor> memory_store::resolve(std::string reference) {
    if (reference.find(':') != std::string::npos) {
        const auto d = digest::parse(reference).value();  // throws invalid_digest
        const auto it = blobs_.find(d);
        if (it == blobs_.end()) {
            fail(errc::not_found, d.str() + " is not in the memory store");
        }
        co_return it->second.desc;
    }
    if (auto ok = validate_tag(reference); !ok) {
        throw error(ok.error());
    }
    const auto it = tags_.find(reference);
    if (it == tags_.end()) {
        fail(errc::not_found, "tag " + reference + " is not in the memory store");
    }
    co_return it->second;
}

asio::awaitable<void> memory_store::tag(descriptor desc, std::string reference) {
    if (auto ok = validate_tag(reference); !ok) {
        throw error(ok.error());
    }
    check_descriptor(desc);
    if (!co_await exists(desc)) {
        fail(errc::not_found, "cannot tag " + desc.digest.str() + " as " + reference
                                  + ": it is not in the memory store");
    }
    tags_.insert_or_assign(std::move(reference), std::move(desc));
}

}  // namespace oras::content
