#include <oras/error.hpp>
#include <oras/media_type.hpp>
#include <oras/registry/repository_target.hpp>

namespace oras::registry {

namespace asio = boost::asio;

namespace {

bool is_manifest_type(std::string_view t) {
    return media_type::is_graph_manifest(t);
}

/// Reads a manifest to push whole, refusing more than `limit` bytes.
asio::awaitable<std::string> read_manifest(byte_source& src, const descriptor& desc,
                                           std::size_t limit) {
    if (desc.size < 0 || static_cast<std::uint64_t>(desc.size) > limit) {
        throw error(errc::size_exceeds_limit,
                    "manifest " + desc.digest.str() + " has " + std::to_string(desc.size)
                        + " bytes, more than the limit of " + std::to_string(limit));
    }
    std::string bytes(static_cast<std::size_t>(desc.size) + 1, '\0');
    std::size_t got = 0;
    for (;;) {
        const auto n = co_await src.read(std::as_writable_bytes(std::span(bytes)).subspan(got));
        if (n == 0) {
            break;
        }
        got += n;
        if (got > static_cast<std::size_t>(desc.size)) {
            throw error(errc::size_mismatch,
                        "manifest " + desc.digest.str() + " is larger than its descriptor says");
        }
    }
    bytes.resize(got);
    co_return bytes;
}

}  // namespace

asio::awaitable<bool> repository_target::exists(descriptor desc) {
    if (!is_manifest_type(desc.media_type)) {
        co_return (co_await repo_.blob_exists(desc.digest)).has_value();
    }
    try {
        co_await repo_.resolve(desc.digest.str());
        co_return true;
    } catch (const error& e) {
        if (e.code() != errc::not_found) {
            throw;
        }
    }
    co_return false;
}

asio::awaitable<byte_source> repository_target::open_from(descriptor desc, std::uint64_t offset) {
    if (is_manifest_type(desc.media_type)) {
        throw error(errc::unsupported, "manifests are not read in parts");
    }
    co_return co_await repo_.open_blob_from(std::move(desc), offset);
}

asio::awaitable<byte_source> repository_target::open(descriptor desc) {
    if (!is_manifest_type(desc.media_type)) {
        co_return co_await repo_.open_blob(std::move(desc));
    }
    auto m = co_await repo_.fetch_manifest(desc.digest.str());  // digest checked there
    if (m.desc.size != desc.size) {
        throw error(errc::size_mismatch,
                    "manifest " + desc.digest.str() + " has " + std::to_string(m.desc.size)
                        + " bytes, its descriptor says " + std::to_string(desc.size));
    }
    auto r = byte_source::from_string(std::move(m.bytes));
    r.set_checked(byte_source::check::hashed);
    co_return r;
}

bool repository_target::can_mount_from(const content::target& source) const {
    const auto* from = dynamic_cast<const repository_target*>(&source);
    return from != nullptr && from->repo_.base_url() == repo_.base_url()
           && from->repo_.name() != repo_.name();
}

asio::awaitable<bool> repository_target::mount(descriptor desc, content::target& source) {
    if (!can_mount_from(source) || is_manifest_type(desc.media_type)) {
        co_return false;
    }
    auto& from = dynamic_cast<repository_target&>(source);
    co_return co_await repo_.mount_blob(std::move(desc), from.repo_.name());
}

asio::awaitable<std::vector<descriptor>> repository_target::referrers(descriptor subject,
                                                                      std::string artifact_type) {
    co_return co_await repo_.referrers(subject.digest, std::move(artifact_type));
}

asio::awaitable<std::vector<std::string>> repository_target::tags() {
    co_return co_await repo_.tags();
}

asio::awaitable<void> repository_target::fetch(descriptor desc, byte_sink sink) {
    if (!is_manifest_type(desc.media_type)) {
        co_await repo_.fetch_blob(std::move(desc), std::move(sink));
        co_return;
    }
    auto m = co_await repo_.fetch_manifest(desc.digest.str());  // digest checked there
    if (m.desc.size != desc.size) {
        throw error(errc::size_mismatch,
                    "manifest " + desc.digest.str() + " has " + std::to_string(m.desc.size)
                        + " bytes, its descriptor says " + std::to_string(desc.size));
    }
    co_await sink(std::as_bytes(std::span(m.bytes.data(), m.bytes.size())));
}

asio::awaitable<void> repository_target::push(descriptor desc, byte_source src) {
    co_await push_tagged(std::move(desc), std::move(src), {});
}

asio::awaitable<std::pair<descriptor, std::string>> repository_target::fetch_reference(
    std::string reference, std::size_t limit) {
    auto m = co_await repo_.fetch_manifest(std::move(reference));
    if (m.bytes.size() > limit) {
        throw error(errc::size_exceeds_limit,
                    "manifest " + m.desc.digest.str() + " has " + std::to_string(m.bytes.size())
                        + " bytes, more than the limit of " + std::to_string(limit));
    }
    co_return std::pair{std::move(m.desc), std::move(m.bytes)};
}

asio::awaitable<bool> repository_target::push_unless_present(descriptor desc,
                                                             content::opener open) {
    if (is_manifest_type(desc.media_type)) {
        co_return co_await content::target::push_unless_present(std::move(desc), std::move(open));
    }
    co_return co_await repo_.push_blob_unless_present(std::move(desc), std::move(open));
}

asio::awaitable<void> repository_target::push_tagged(descriptor desc, byte_source src,
                                                     std::vector<std::string> references) {
    if (!is_manifest_type(desc.media_type)) {
        if (!references.empty()) {
            throw error(errc::invalid_argument, "cannot tag " + desc.digest.str() + ": "
                                                    + desc.media_type + " is not a manifest type");
        }
        const bool verify = !src.digest_checked();
        co_await repo_.push_blob(std::move(desc), std::move(src), verify);
        co_return;
    }
    auto bytes = co_await read_manifest(src, desc, 4 * 1024 * 1024);
    if (digest::of(bytes, desc.digest.algorithm()) != desc.digest) {
        throw error(errc::digest_mismatch,
                    "manifest bytes do not match the digest " + desc.digest.str());
    }
    co_await repo_.push_manifest_tags(desc.media_type, std::move(bytes), std::move(references));
}

asio::awaitable<descriptor> repository_target::push_unknown(std::string media_type,
                                                            byte_source src) {
    co_return co_await repo_.push_blob_stream(std::move(src), std::move(media_type));
}

asio::awaitable<descriptor> repository_target::resolve(std::string reference) {
    co_return co_await repo_.resolve(std::move(reference));
}

asio::awaitable<void> repository_target::remove(descriptor desc) {
    if (is_manifest_type(desc.media_type)) {
        co_await repo_.delete_manifest(std::move(desc.digest));
    } else {
        co_await repo_.delete_blob(std::move(desc.digest));
    }
}

asio::awaitable<void> repository_target::tag(descriptor desc, std::string reference) {
    co_await repo_.tag(desc.digest.str(), std::move(reference));
}

}  // namespace oras::registry
