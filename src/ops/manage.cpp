// manage: manifests, blobs and tags one at a time, on any target.
#include <oras/artifact_manifest.hpp>
#include <oras/content/blob_cache.hpp>
#include <oras/content/oci_layout.hpp>
#include <oras/error.hpp>
#include <oras/hasher.hpp>
#include <oras/image_index.hpp>
#include <oras/image_manifest.hpp>
#include <oras/media_type.hpp>
#include <oras/ops/manage.hpp>
#include <oras/ops/platform.hpp>
#include <oras/reference.hpp>
#include <oras/registry/repository_target.hpp>

#include "core/async/for_each_limited.hpp"
#include "core/quote.hpp"
#include "ops/emit.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <vector>

namespace oras::ops {

namespace asio = boost::asio;
using oras::detail::quote;

namespace {

content::deleter& deleter_of(content::target& t, std::string_view what) {
    auto* d = dynamic_cast<content::deleter*>(&t);
    if (d == nullptr) {
        throw error(errc::unsupported, "this target cannot delete " + std::string(what));
    }
    return *d;
}

std::string media_types_text(const std::vector<std::string>& types) {
    std::string out;
    for (const auto& t : types) {
        out += (out.empty() ? "" : ", ") + t;
    }
    return out;
}

/// Streams `reader` into `sink`.
asio::awaitable<void> drain_into(byte_source reader, byte_sink sink) {
    std::vector<std::byte> buf(256 * 1024);
    for (;;) {
        const std::span<std::byte> span(buf);
        const auto n = co_await reader.read(span);
        if (n == 0) {
            break;
        }
        co_await sink(std::span<const std::byte>(buf.data(), n));
    }
}

/// The whole content of `desc` (at most `limit` bytes), verified: from `cache` when it holds a
/// sound copy and `read_cache`, else from `src` and then kept in `cache`.
asio::awaitable<std::string> fetch_all_cached(content::target& src, descriptor desc,
                                              std::size_t limit,
                                              std::shared_ptr<content::blob_cache> cache,
                                              bool read_cache) {
    if (!cache || desc.size < 0 || static_cast<std::uint64_t>(desc.size) > limit) {
        // Without a cache, or for a size `fetch_all` refuses with its own words.
        co_return co_await content::fetch_all(src, std::move(desc), limit);
    }
    auto out = std::make_shared<std::string>();
    out->reserve(static_cast<std::size_t>(desc.size));
    byte_sink sink = [out](std::span<const std::byte> b) -> asio::awaitable<void> {
        out->append(reinterpret_cast<const char*>(b.data()), b.size());
        co_return;
    };
    auto damaged = std::make_shared<bool>(false);
    auto hit = read_cache ? cache->open(desc, [damaged] { *damaged = true; })
                          : std::optional<byte_source>();
    if (hit) {
        std::exception_ptr failed;
        try {
            co_await drain_into(std::move(*hit), sink);
        } catch (...) {
            failed = std::current_exception();
        }
        if (!failed) {
            co_return std::move(*out);
        }
        if (!*damaged) {
            std::rethrow_exception(failed);
        }
        // The cache has dropped the entry: fetched below as if it had never been there.
        out->clear();
    }
    auto opened = co_await src.open(desc);
    auto reader = cache->tee(desc, content::verified(std::move(opened), desc));
    co_await drain_into(std::move(reader), sink);
    co_return std::move(*out);
}

}  // namespace

// --- manifests -------------------------------------------------------------------------------

asio::awaitable<fetched_manifest> fetch_manifest(content::target& src, std::string reference,
                                                 fetch_manifest_options o) {
    fetched_manifest out;
    out.desc = co_await src.resolve(reference);
    if (o.platform) {
        out.desc = co_await select_platform(src, std::move(out.desc), *o.platform, o.max_size);
    }
    if (!o.media_types.empty()
        && std::find(o.media_types.begin(), o.media_types.end(), out.desc.media_type)
               == o.media_types.end()) {
        throw error(errc::invalid_media_type, reference + " is " + out.desc.media_type + ", not "
                                                  + media_types_text(o.media_types));
    }
    // From the target, whatever the cache holds (see `fetch_manifest_options::cache`).
    out.bytes = co_await fetch_all_cached(src, out.desc, o.max_size, o.cache, false);
    co_return out;
}

asio::awaitable<fetched_manifest> fetch_config(content::target& src, std::string reference,
                                               fetch_manifest_options o) {
    auto m = co_await fetch_manifest(src, reference, o);
    if (!media_type::is_manifest(m.desc.media_type)) {
        throw error(errc::invalid_media_type, quote(m.desc.digest.str()) + " is "
                                                  + m.desc.media_type
                                                  + ", not an image manifest, and has no config");
    }
    auto parsed = image_manifest::parse(m.bytes);
    if (!parsed) {
        throw error(parsed.error().code,
                    "manifest " + m.desc.digest.str() + ": " + parsed.error().message);
    }
    fetched_manifest out;
    out.desc = parsed->config;
    out.bytes = co_await fetch_all_cached(src, out.desc, o.max_size, o.cache, true);
    co_return out;
}

result<std::string> check_manifest(std::string_view bytes, std::string_view media_type) {
    boost::system::error_code ec;
    const auto v = boost::json::parse(bytes, ec);
    if (ec || !v.is_object()) {
        return failure{
            make_error_code(errc::invalid_manifest),
            "the manifest is not a JSON object" + (ec ? ": " + ec.message() : std::string())};
    }
    std::string declared;
    if (const auto* mt = v.as_object().if_contains("mediaType")) {
        if (!mt->is_string()) {
            return failure{make_error_code(errc::invalid_manifest),
                           "the manifest's mediaType is not a string"};
        }
        declared = std::string(mt->get_string());
    }
    std::string type(media_type);
    if (type.empty()) {
        if (declared.empty()) {
            return failure{make_error_code(errc::invalid_media_type),
                           "the media type is given neither with --media-type nor in the "
                           "manifest's mediaType"};
        }
        type = declared;
    } else if (!declared.empty() && declared != type) {
        return failure{make_error_code(errc::invalid_media_type),
                       "the manifest's mediaType " + quote(declared) + " is not " + quote(type)};
    }
    if (!media_type::is_valid(type)) {
        return failure{make_error_code(errc::invalid_media_type),
                       quote(type) + " is not a media type"};
    }
    if (media_type::is_manifest(type)) {
        if (auto m = image_manifest::parse(bytes); !m) {
            return failure{m.error().code, "not a valid manifest: " + m.error().message};
        }
    } else if (media_type::is_index(type)) {
        if (auto i = image_index::parse(bytes); !i) {
            return failure{i.error().code, "not a valid index: " + i.error().message};
        }
    } else if (type == media_type::artifact_manifest) {
        if (auto a = artifact_manifest::parse(bytes); !a) {
            return failure{a.error().code, "not a valid artifact manifest: " + a.error().message};
        }
    }
    return type;
}

namespace {

// Whether `reference` resolves in `dst` to `d`; not found is false.
asio::awaitable<bool> names_already(content::target& dst, std::string reference, digest d) {
    try {
        const auto found = co_await dst.resolve(std::move(reference));
        co_return found.digest == d;
    } catch (const error& e) {
        if (e.code() != make_error_code(errc::not_found)) {
            throw;
        }
    }
    co_return false;
}

}  // namespace

asio::awaitable<pushed_manifest> push_manifest(content::target& dst, std::string bytes,
                                               std::string media_type,
                                               std::vector<std::string> tags,
                                               std::size_t concurrency) {
    auto type = check_manifest(bytes, media_type);
    if (!type) {
        throw error(type.error());
    }
    for (const auto& t : tags) {
        if (auto v = dst.check_tag(t); !v) {
            throw error(v.error());
        }
    }
    pushed_manifest out;
    out.desc.media_type = std::move(*type);
    out.desc.digest = digest::of(bytes);
    out.desc.size = static_cast<std::int64_t>(bytes.size());
    // As oras's matchDigest: there already when the first tag names these bytes (no tag: when
    // the digest is stored); a manifest stored under other names is pushed under this one.
    const bool unknown_type = !media_type::is_graph_manifest(out.desc.media_type);
    auto* const remote = dynamic_cast<registry::repository_target*>(&dst);
    if (!tags.empty() || (remote != nullptr && unknown_type)) {
        // Resolved, not asked with `exists`: a type unknown here would be looked up as a blob.
        auto name = tags.empty() ? out.desc.digest.str() : tags[0];
        out.existed = co_await names_already(dst, std::move(name), out.desc.digest);
    } else {
        out.existed = co_await dst.exists(out.desc);
    }
    // The first tag is set already; the others are still put.
    const std::size_t first = out.existed && !tags.empty() ? 1 : 0;
    if (remote != nullptr && unknown_type) {
        // A type this library does not know as a manifest's (a registry's own): the target would
        // take it for a blob. As oras's PushReference, it goes to the manifests endpoint all the
        // same, and the registry judges it.
        auto& repo = remote->repo();
        auto type_sent = out.desc.media_type;
        if (tags.empty()) {
            if (!out.existed) {
                co_await repo.push_manifest(std::move(type_sent), std::move(bytes));
            }
        } else if (first < tags.size()) {
            std::vector<std::string> to_set(tags.begin() + static_cast<std::ptrdiff_t>(first),
                                            tags.end());
            co_await repo.push_manifest_tags(std::move(type_sent), std::move(bytes),
                                             std::move(to_set));
        }
        co_return out;
    }
    const auto shared = std::make_shared<const std::string>(std::move(bytes));
    if (tags.empty()) {
        if (!out.existed) {
            co_await dst.push(out.desc, byte_source::from_shared(shared));
        }
        if (auto* layout = dynamic_cast<content::oci_layout*>(&dst)) {
            // Listed untagged, to be found (and kept) there, as oras-go's layout lists every
            // manifest pushed to it.
            const auto by_digest = out.desc.digest.str();
            co_await layout->tag(out.desc, by_digest);
        }
        co_return out;
    }
    // The first tag with the bytes (a manifest whose subject updates an index does so once),
    // then the others `concurrency` at once, each a PUT of the same bytes as oras's TagBytesN
    // (not a tag of what is there, which would fetch it again).
    const auto& desc = out.desc;
    std::function<asio::awaitable<void>(std::size_t)> one =
        [&dst, &desc, &tags, &shared](std::size_t i) -> asio::awaitable<void> {
        std::vector<std::string> tag_list{tags[i]};
        co_await dst.push_tagged(desc, byte_source::from_shared(shared), std::move(tag_list));
    };
    if (first == 0) {
        co_await one(0);
    }
    std::function<asio::awaitable<void>(std::size_t)> rest =
        [&one](std::size_t i) -> asio::awaitable<void> { co_await one(i + 1); };
    co_await oras::detail::for_each_limited(tags.size() - 1, std::max<std::size_t>(concurrency, 1),
                                            std::move(rest));
    co_return out;
}

asio::awaitable<descriptor> tag(content::target& dst, std::string reference,
                                std::vector<std::string> tags, std::size_t concurrency) {
    if (tags.empty()) {
        throw error(errc::invalid_argument, "name at least one new tag");
    }
    for (const auto& t : tags) {
        if (auto v = dst.check_tag(t); !v) {
            throw error(v.error());
        }
    }
    const auto desc = co_await dst.resolve(reference);
    std::function<asio::awaitable<void>(std::size_t)> one =
        [&dst, &desc, &tags](std::size_t i) -> asio::awaitable<void> {
        co_await dst.tag(desc, tags[i]);
    };
    co_await oras::detail::for_each_limited(tags.size(), std::max<std::size_t>(concurrency, 1),
                                            std::move(one));
    co_return desc;
}

asio::awaitable<descriptor> delete_manifest(content::target& dst, std::string reference) {
    auto& deleter = deleter_of(dst, "manifests");
    auto desc = co_await dst.resolve(reference);
    co_await deleter.remove(desc);
    co_return desc;
}

// --- indexes

asio::awaitable<descriptor> index_entry(content::target& src, std::string reference) {
    auto m = co_await fetch_manifest(src, reference);
    descriptor out;
    out.media_type = m.desc.media_type;
    out.digest = m.desc.digest;
    out.size = m.desc.size;
    if (media_type::is_manifest(out.media_type)) {
        auto parsed = image_manifest::parse(m.bytes);
        if (!parsed) {
            throw error(parsed.error().code,
                        "manifest " + out.digest.str() + ": " + parsed.error().message);
        }
        constexpr std::size_t max_config = 4 * 1024 * 1024;  // as oras
        const auto config = co_await content::fetch_all(src, parsed->config, max_config);
        out.platform = platform_of_config(config);
        out.artifact_type = parsed->artifact_type;
    } else if (media_type::is_index(out.media_type)) {
        auto parsed = image_index::parse(m.bytes);
        if (!parsed) {
            throw error(parsed.error().code,
                        "index " + out.digest.str() + ": " + parsed.error().message);
        }
        out.artifact_type = parsed->artifact_type;
    } else {
        throw error(errc::invalid_media_type,
                    quote(reference) + " is " + out.media_type + ", not a manifest");
    }
    co_return out;
}

// --- blobs -----------------------------------------------------------------------------------

asio::awaitable<descriptor> stat_blob(content::target& src, oras::digest d) {
    descriptor out;
    out.media_type = "application/octet-stream";
    out.digest = d;
    if (auto* r = dynamic_cast<registry::repository_target*>(&src)) {
        auto found = co_await r->repo().blob_exists(d);
        if (!found) {
            throw error(errc::not_found, "blob " + d.str() + " is not in " + r->repo().registry()
                                             + "/" + r->repo().name());
        }
        out.size = found->size;
        co_return out;
    }
    if (auto* l = dynamic_cast<content::oci_layout*>(&src)) {
        const auto size = l->stored_size(d);
        if (!size) {
            throw error(errc::not_found,
                        "blob " + d.str() + " is not in the OCI layout " + l->root().string());
        }
        out.size = *size;
        co_return out;
    }
    throw error(errc::unsupported, "this target cannot look up a blob by digest alone");
}

asio::awaitable<void> fetch_blob(content::target& src, descriptor desc, byte_sink sink,
                                 fetch_blob_options o) {
    if (!o.cache) {
        co_await src.fetch(std::move(desc), std::move(sink));  // verified as it streams
        co_return;
    }
    // Verified as it is read: a damaged entry fails before its last bytes reach the sink.
    if (auto hit = o.cache->open(desc, o.on_cache_damaged)) {
        co_await drain_into(std::move(*hit), std::move(sink));
        co_return;
    }
    auto opened = co_await src.open(desc);
    auto reader = o.cache->tee(desc, content::verified(std::move(opened), desc));
    co_await drain_into(std::move(reader), std::move(sink));
}

asio::awaitable<pushed_blob> push_blob(content::target& dst, byte_source src,
                                       std::string media_type, std::optional<oras::digest> expected,
                                       std::optional<std::uint64_t> expected_size,
                                       push_blob_options o) {
    if (!media_type::is_valid(media_type)) {
        throw error(errc::invalid_media_type, quote(media_type) + " is not a media type");
    }
    pushed_blob out;
    out.desc.media_type = std::move(media_type);
    if (!expected || !expected_size) {
        if (!src.replayable()) {
            throw error(errc::invalid_argument,
                        "a blob read from a stream needs its digest and size ahead");
        }
        // Hash once, then send: the registry needs the digest before the bytes.
        hasher h(expected ? expected->algorithm() : digest_algorithm::sha256);
        std::vector<std::byte> buf(256 * 1024);
        std::uint64_t size = 0;
        for (;;) {
            const std::span<std::byte> span(buf);
            const auto n = co_await src.read(span);
            if (n == 0) {
                break;
            }
            h.update(std::span<const std::byte>(buf.data(), n));
            size += n;
        }
        src.rewind();
        const auto d = h.finish();
        if (expected_size && *expected_size != size) {
            throw error(errc::size_mismatch, "the size given, " + std::to_string(*expected_size)
                                                 + ", is not the content's, "
                                                 + std::to_string(size));
        }
        if (expected && *expected != d) {
            throw error(errc::digest_mismatch, "the digest given, " + expected->str()
                                                   + ", is not the content's, " + d.str());
        }
        out.desc.digest = d;
        out.desc.size = static_cast<std::int64_t>(size);
        src.set_checked(byte_source::check::hashed);
    } else {
        out.desc.digest = *expected;
        out.desc.size = static_cast<std::int64_t>(*expected_size);
        src = content::verified(std::move(src), out.desc);
    }
    // Counted once hashed: what the bar shows is the upload.
    detail::emit(o.progress, progress_event::kind::started, out.desc, o.name);
    src = detail::counted(std::move(src), o.progress, out.desc, o.name);
    // Asked and, when missing, sent: one request fewer where the target can (a small blob to
    // a registry).
    content::opener open = [&src]() -> asio::awaitable<byte_source> { co_return std::move(src); };
    out.existed = co_await dst.push_unless_present(out.desc, std::move(open));
    detail::emit(o.progress,
                 out.existed ? progress_event::kind::exists : progress_event::kind::finished,
                 out.desc, o.name, out.existed ? 0 : static_cast<std::uint64_t>(out.desc.size));
    co_return out;
}

asio::awaitable<descriptor> delete_blob(content::target& dst, oras::digest d) {
    auto& deleter = deleter_of(dst, "blobs");
    auto desc = co_await stat_blob(dst, std::move(d));
    co_await deleter.remove(desc);
    co_return desc;
}

// --- listings --------------------------------------------------------------------------------

bool is_digest_tag(std::string_view tag) {
    const auto dash = tag.find('-');
    if (dash == std::string_view::npos) {
        return false;
    }
    std::string text(tag);
    text[dash] = ':';
    return digest::parse(text).has_value();
}

asio::awaitable<std::vector<std::string>> list_tags(content::target& src, list_tags_options o) {
    auto* lister = dynamic_cast<content::tag_lister*>(&src);
    if (lister == nullptr) {
        throw error(errc::unsupported, "this target cannot list tags");
    }
    auto all = co_await lister->tags();
    std::vector<std::string> out;
    for (auto& t : all) {
        if ((!o.last.empty() && t <= o.last) || !t.starts_with(o.scope)
            || t.size() == o.scope.size()) {
            continue;
        }
        t.erase(0, o.scope.size());
        if (o.exclude_digest_tags && is_digest_tag(t)) {
            continue;
        }
        out.push_back(std::move(t));
    }
    co_return out;
}

asio::awaitable<std::vector<std::string>> list_repositories(registry::registry reg,
                                                            std::string prefix, std::string last) {
    auto all = co_await reg.catalog();
    std::vector<std::string> out;
    for (auto& r : all) {
        if (!r.starts_with(prefix) || (!last.empty() && r <= last)) {
            continue;
        }
        out.push_back(std::move(r));
    }
    co_return out;
}

}  // namespace oras::ops
