// repository: one repository of a remote registry — blobs, manifests and tags.
#pragma once

#include <oras/auth/client.hpp>
#include <oras/byte_sink.hpp>
#include <oras/byte_source.hpp>
#include <oras/content/target.hpp>
#include <oras/descriptor.hpp>
#include <oras/detail/async.hpp>
#include <oras/digest.hpp>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#pragma GCC visibility push(default)

namespace oras::registry {

/// How a repository lists and records referrers (the ORAS CLI's `--distribution-spec`).
enum class referrers_capability {
    /// Learned from the registry: its `OCI-Subject` answer to a push, or whether the referrers
    /// API answers 404 (then the tag-schema fallback index is used and kept up to date).
    automatic,
    /// The referrers API (`v1.1-referrers-api`): the fallback index is never read or written.
    api,
    /// The tag-schema fallback index (`v1.1-referrers-tag`), read and updated even when the
    /// registry has the API.
    tag_schema,
};

/// Limits and protocol choices of a repository (and of a `registry`). Every field has a default.
struct repository_options {
    /// Talk plain http instead of https. Loopback registries (localhost, 127.0.0.0/8, ::1) are
    /// reached over http unless `force_https`.
    bool plain_http = false;
    /// Use https even for a loopback registry (a local registry with TLS).
    bool force_https = false;
    /// Manifests larger than this are refused without being read whole.
    std::size_t max_manifest_size = 4 * 1024 * 1024;
    /// Error bodies are read up to this many bytes for their messages.
    std::size_t max_error_body = 8 * 1024;
    /// Tag list pages followed before giving up (a registry that loops its `Link` headers).
    unsigned max_pages = 10'000;
    /// Tags asked for per page (`n`); 0 lets the registry choose.
    std::size_t page_size = 0;
    /// Times a blob download or a chunked upload is resumed after its connection dropped.
    unsigned max_resumes = 3;
    /// Uploads of unknown size (`push_blob_stream`) go in PATCH requests of this many bytes,
    /// each resumable; 0 streams them in one PATCH (fastest; a drop restarts the upload). A
    /// registry's `OCI-Chunk-Min-Length` raises it, up to 256 MiB (or this value, if larger):
    /// a registry asking for more is refused (`invalid_response`) rather than buffered.
    std::size_t chunk_size = 0;
    /// Blobs up to this size are pushed with a single `POST ?digest=` carrying the body when
    /// the registry completes such uploads with 201; others (distribution answers 202 and opens
    /// a session) get the PUT as usual, so the body crosses twice. 0: never try.
    std::size_t single_post_max = 0;
    /// `push_blob_unless_present` asks about blobs up to this size with a mount from the
    /// repository into itself (`POST ?mount=D&from=` this repository): 201 when the blob is
    /// there, else the upload session it goes into, one request where HEAD and POST were two.
    /// A registry that cannot mount answers 202 even for a blob it has, which is then sent
    /// again: this bounds what that costs. Larger blobs are asked about with HEAD. 0: never.
    std::uint64_t self_mount_max = 4 * 1024 * 1024;
    /// Whether referrers are found through the API or the fallback index.
    referrers_capability referrers = referrers_capability::automatic;
    /// Blobs of at least this many bytes are fetched by `open_blob` (and so by pull and copy)
    /// as `parallel_download_parts` streams of Range requests of `parallel_download_chunk` bytes
    /// each, handed out in order: over a link with latency one TCP stream cannot fill, several
    /// can (see `parallel_download_fast_rate`). Memory: parts x chunk per blob. A registry that
    /// answers a Range request with the whole blob is read as one stream, and not asked again by
    /// this repository. 0: never.
    std::uint64_t parallel_download_min_size = 64ULL << 20;
    /// Streams at once for one blob; fewer than 2 disables parallel downloads.
    std::size_t parallel_download_parts = 4;
    /// Bytes per Range request.
    std::size_t parallel_download_chunk = 2 << 20;
    /// A large blob is timed, and fetched as several streams, only while at most this many
    /// large blobs (this one included) are being fetched by the process, over every
    /// repository; otherwise it is read as one stream with no probe (so is a striped blob read
    /// again, by a rewind, while more are in flight). Several blobs in flight are several
    /// streams already, and their shared link makes each look slow: striping them all held
    /// parts x chunk each (a pull of eight 64 MiB blobs at `--concurrency 8`: 64 MiB) and, on
    /// loopback, asked 32 times the requests.
    std::size_t parallel_download_max_blobs = 2;
    /// Bytes per second. Such a blob is first asked for whole (`Range: bytes=0-`) and its first
    /// chunk's bytes are timed: when they came this fast, the link is one a single stream fills
    /// (loopback, a host nearby) and that response is read on, one request as without ranges;
    /// otherwise it is dropped after the first chunk. 0: always several streams.
    std::uint64_t parallel_download_fast_rate = 256'000'000;
};

/// A manifest as fetched: its descriptor (media type from Content-Type, digest checked against
/// the bytes) and its bytes.
struct manifest_content {
    descriptor desc{};    ///< Content-Type without parameters, digest and size of `bytes`
    std::string bytes{};  ///< exactly as the registry sent them
};

// Internal state, not exported.
#pragma GCC visibility push(hidden)
namespace detail {
class repository_state;
struct repository_access;
}  // namespace detail
#pragma GCC visibility pop

/// Operations on `registry/name`, every one of them authorised through an `auth::client` with
/// the scopes it needs (pull, pull+push, delete). Each is an awaitable member (`co_await
/// repo.tags()`: the repository must outlive it) and an `async_` form taking a completion token
/// (see "completion-token forms" below). Failures surface as `oras::error` with diagnostics
/// (method, status, redacted URL, the registry's error list).
///
/// Threading: run a repository's operations on the executor of its `auth::client`'s
/// `http::client` (one strand). Copies share state.
///
/// Lifetime: arguments are copied into the operation before it starts; a sink must live until
/// the operation completes.
class repository {
  public:
    /// `registry` is `host[:port]` ("docker.io" is reached at registry-1.docker.io), `name` the
    /// repository path. Throws `oras::error` (`errc::invalid_reference`) if either is invalid.
    repository(auth::client client, std::string_view registry, std::string_view name,
               repository_options options = {});

    /// As given: `host[:port]`.
    const std::string& registry() const noexcept;
    /// The repository path, e.g. `team/app`.
    const std::string& name() const noexcept;
    /// "https://host[:port]" as the repository reaches it.
    const std::string& base_url() const noexcept;
    /// The executor of the client's `http::client`, on which operations must run.
    boost::asio::any_io_executor get_executor() const noexcept;
    /// The authenticating client, shared by every copy of this repository.
    auth::client& client() noexcept;

    // --- blobs -----------------------------------------------------------------------------

    /// The blob's descriptor (media type application/octet-stream, size from the registry) if
    /// the repository has it, otherwise nullopt.
    boost::asio::awaitable<std::optional<descriptor>> blob_exists(oras::digest d);

    /// Streams the blob into `sink`, checking size and digest as it streams: more bytes than
    /// `desc.size`, fewer, or other bytes throw (`errc::size_mismatch`, `errc::digest_mismatch`).
    /// A connection that drops mid-body is resumed from the next byte with a Range request (up
    /// to `max_resumes` times), so the sink sees every byte once.
    boost::asio::awaitable<void> fetch_blob(descriptor desc, byte_sink sink);

    /// A reader of the blob, pulled by the caller (how a blob flows into another target with no
    /// pipe): the GET is sent now, so a missing blob throws `errc::not_found` here; the body
    /// is then read straight into the caller's buffers, checked as `content::verified` checks
    /// (the end of wrong content is never handed out), and a dropped connection is resumed
    /// with a Range request. `rewind` starts a fresh GET. The reader shares the repository's
    /// state; read it on the repository's executor.
    boost::asio::awaitable<byte_source> open_blob(descriptor desc);

    /// The bytes of the blob from `offset` on (a Range request; a registry that ignores it is
    /// read past the first `offset` bytes instead), as `open_blob` reads them, dropped
    /// connections resumed. Not verified: a part has no digest of its own, so the caller hashes
    /// the whole content (the bytes it already had, then these); `length` is `desc.size -
    /// offset`. Throws `invalid_argument` for an offset past the end.
    boost::asio::awaitable<byte_source> open_blob_from(descriptor desc, std::uint64_t offset);

    /// `length` bytes of the blob from `offset` (a Range request). Only the size can be checked:
    /// a part has no digest of its own.
    boost::asio::awaitable<void> fetch_blob_range(oras::digest d, std::uint64_t offset,
                                                  std::uint64_t length, byte_sink sink);

    /// Uploads a blob whose digest and size are known: POST, then one PUT with Content-Length,
    /// the body hashed while it streams (a body that does not match fails the upload and the
    /// session is cancelled). It does not ask first whether the blob exists (`blob_exists`):
    /// callers that copy graphs do, once per blob.
    /// `verify` false: the caller has just hashed these bytes; they are sent without a second
    /// hashing pass and the registry's own digest check (`PUT ?digest=`) is relied on.
    boost::asio::awaitable<void> push_blob(descriptor desc, byte_source body, bool verify = true);

    /// Uploads a blob of unknown size and digest: POST, one PATCH streaming `body`, then PUT
    /// `?digest=`. Returns its descriptor with `media_type`.
    boost::asio::awaitable<descriptor> push_blob_stream(byte_source body, std::string media_type);

    /// Pushes `desc` unless the repository has it already: true when it had it (`open` is then
    /// not called), false when the bytes `open` returns were uploaded. Blobs up to
    /// `repository_options::self_mount_max` are asked about with a mount from this same
    /// repository, whose 202 opens the session they go into (two requests for a new blob,
    /// one for a present one); larger ones with HEAD, then `push_blob`. A registry that refuses
    /// such a mount (4xx) is asked with HEAD from then on. Concurrent calls for one digest
    /// upload it once; the others return true. `open` is called at most once, on this
    /// coroutine's executor; the bytes are verified unless the source says it checked them.
    boost::asio::awaitable<bool> push_blob_unless_present(descriptor desc, content::opener open);

    /// Mounts `desc` from another repository of the same registry: true when mounted. When the
    /// registry cannot mount (202, an ordinary upload session) the blob is uploaded from
    /// `fallback` in that same session and the result is false; without a fallback the session
    /// is cancelled and the blob must be pushed. The fallback's bytes are verified unless the
    /// source says it checked them.
    boost::asio::awaitable<bool> mount_blob(descriptor desc, std::string from_repository,
                                            std::optional<byte_source> fallback);
    /// Defaults are overloads, not default arguments (GCC 12: see docs/api.md).
    boost::asio::awaitable<bool> mount_blob(descriptor desc, std::string from_repository) {
        return mount_blob(std::move(desc), std::move(from_repository), std::nullopt);
    }

    /// Deletes the blob. Fails with `errc::unsupported` where the registry does not allow it,
    /// `errc::not_found` when the blob is not there.
    boost::asio::awaitable<void> delete_blob(oras::digest d);

    // --- manifests and tags ------------------------------------------------------------------

    /// The descriptor of the manifest a tag or digest names (HEAD with every manifest type in
    /// Accept; a GET when the registry sends no digest).
    boost::asio::awaitable<descriptor> resolve(std::string reference);

    /// Fetches a manifest by tag or digest: size capped, Content-Type required, the body's
    /// digest checked against the digest asked for and against `Docker-Content-Digest`.
    boost::asio::awaitable<manifest_content> fetch_manifest(std::string reference);

    /// Pushes `bytes` with `media_type` as Content-Type under `reference` (a tag, or empty for
    /// its digest) and returns its descriptor.
    boost::asio::awaitable<descriptor> push_manifest(std::string media_type, std::string bytes,
                                                     std::string reference);
    /// `push_manifest` by its digest.
    boost::asio::awaitable<descriptor> push_manifest(std::string media_type, std::string bytes) {
        return push_manifest(std::move(media_type), std::move(bytes), std::string{});
    }

    /// Pushes one manifest under each of `references` (tags, or its digest; empty: its digest).
    boost::asio::awaitable<descriptor> push_manifest_tags(std::string media_type, std::string bytes,
                                                          std::vector<std::string> references);

    /// Removes a tag where the registry allows it (the manifest stays). `errc::unsupported` from
    /// registries that do not (distribution: delete the manifest by digest instead).
    boost::asio::awaitable<void> delete_tag(std::string tag);

    /// Points `tag` at an existing manifest (fetched, then pushed under the tag).
    boost::asio::awaitable<descriptor> tag(std::string reference, std::string tag);

    /// Deletes a manifest by digest.
    boost::asio::awaitable<void> delete_manifest(oras::digest d);

    /// Every tag, following pagination (`n`, `last`, `Link`).
    boost::asio::awaitable<std::vector<std::string>> tags();

    // --- referrers ---------------------------------------------------------------------------

    /// The manifests whose `subject` is `subject`, only those of `artifact_type` when it is not
    /// empty: from the referrers API when the registry has one, else from the tag-schema
    /// fallback index (the tag `<alg>-<hex>`). Which of the two applies is learned once per
    /// repository. Pushing or deleting a manifest with a subject keeps the fallback index
    /// current on registries without the API.
    boost::asio::awaitable<std::vector<descriptor>> referrers(oras::digest subject,
                                                              std::string artifact_type);
    /// `referrers` of every artifact type.
    boost::asio::awaitable<std::vector<descriptor>> referrers(oras::digest subject) {
        return referrers(std::move(subject), std::string{});
    }

    // --- completion-token forms -------------------------------------------------------------
    //
    // One per operation above, with the same arguments and a completion token last. With the
    // default `deferred` (or `use_awaitable`) the result is an `awaitable<T>`: `co_await
    // repo.async_tags()` runs it on the awaiting coroutine's executor, which must be the
    // repository's. Any other token (`use_future`, a callback, ...) runs it on
    // `get_executor()` with the handler signature `void(std::exception_ptr, T)`, or
    // `void(std::exception_ptr)` for an operation returning nothing. The operation holds a copy
    // of the repository (copies share state) and of its arguments, so neither needs to outlive
    // the call; a sink must live until completion.
    // Cancellation: bind a cancellation slot to the token; the operation then completes with
    // `errc::cancelled`, closing any upload session it opened.

    /// Completion-token form of `blob_exists`; a handler gets
    /// `void(std::exception_ptr, std::optional<descriptor>)`.
    template <class Token = boost::asio::deferred_t>
    auto async_blob_exists(oras::digest d, Token&& token = {}) {
        return spawn<std::optional<descriptor>>(
            std::forward<Token>(token),
            [d = std::move(d)](repository& r) mutable { return r.blob_exists(std::move(d)); });
    }
    /// Completion-token form of `fetch_blob`; a handler gets `void(std::exception_ptr)`.
    template <class Token = boost::asio::deferred_t>
    auto async_fetch_blob(descriptor desc, byte_sink sink, Token&& token = {}) {
        return spawn<void>(std::forward<Token>(token),
                           [desc = std::move(desc), sink = std::move(sink)](repository& r) mutable {
                               return r.fetch_blob(std::move(desc), std::move(sink));
                           });
    }
    /// Completion-token form of `fetch_blob_range`; a handler gets `void(std::exception_ptr)`.
    template <class Token = boost::asio::deferred_t>
    auto async_fetch_blob_range(oras::digest d, std::uint64_t offset, std::uint64_t length,
                                byte_sink sink, Token&& token = {}) {
        return spawn<void>(
            std::forward<Token>(token),
            [d = std::move(d), offset, length, sink = std::move(sink)](repository& r) mutable {
                return r.fetch_blob_range(std::move(d), offset, length, std::move(sink));
            });
    }
    /// Completion-token form of `open_blob`; a handler gets
    /// `void(std::exception_ptr, byte_source)`.
    template <class Token = boost::asio::deferred_t>
    auto async_open_blob(descriptor desc, Token&& token = {}) {
        return spawn<byte_source>(std::forward<Token>(token),
                                  [desc = std::move(desc)](repository& r) mutable {
                                      return r.open_blob(std::move(desc));
                                  });
    }
    /// Completion-token form of `open_blob_from`; a handler gets
    /// `void(std::exception_ptr, byte_source)`.
    template <class Token = boost::asio::deferred_t>
    auto async_open_blob_from(descriptor desc, std::uint64_t offset, Token&& token = {}) {
        return spawn<byte_source>(std::forward<Token>(token),
                                  [desc = std::move(desc), offset](repository& r) mutable {
                                      return r.open_blob_from(std::move(desc), offset);
                                  });
    }
    /// Completion-token form of `push_blob` with `verify` true; a handler gets
    /// `void(std::exception_ptr)`.
    template <class Token = boost::asio::deferred_t>
    requires(!std::is_same_v<std::decay_t<Token>, bool>) auto async_push_blob(descriptor desc,
                                                                              byte_source body,
                                                                              Token&& token = {}) {
        return async_push_blob(std::move(desc), std::move(body), true, std::forward<Token>(token));
    }
    /// Completion-token form of `push_blob`; a handler gets `void(std::exception_ptr)`.
    template <class Token = boost::asio::deferred_t>
    auto async_push_blob(descriptor desc, byte_source body, bool verify, Token&& token = {}) {
        return spawn<void>(
            std::forward<Token>(token),
            [desc = std::move(desc), body = std::move(body), verify](repository& r) mutable {
                return r.push_blob(std::move(desc), std::move(body), verify);
            });
    }
    /// Completion-token form of `push_blob_stream`; a handler gets
    /// `void(std::exception_ptr, descriptor)`.
    template <class Token = boost::asio::deferred_t>
    auto async_push_blob_stream(byte_source body, std::string media_type, Token&& token = {}) {
        return spawn<descriptor>(
            std::forward<Token>(token),
            [body = std::move(body), media_type = std::move(media_type)](repository& r) mutable {
                return r.push_blob_stream(std::move(body), std::move(media_type));
            });
    }
    /// Completion-token form of `mount_blob`; a handler gets `void(std::exception_ptr, bool)`.
    template <class Token = boost::asio::deferred_t>
    auto async_mount_blob(descriptor desc, std::string from_repository,
                          std::optional<byte_source> fallback, Token&& token = {}) {
        return spawn<bool>(
            std::forward<Token>(token), [desc = std::move(desc), from = std::move(from_repository),
                                         fallback = std::move(fallback)](repository& r) mutable {
                return r.mount_blob(std::move(desc), std::move(from), std::move(fallback));
            });
    }
    /// `async_mount_blob` without a fallback.
    template <class Token = boost::asio::deferred_t>
    requires(!std::is_convertible_v<Token, std::optional<byte_source>>) auto async_mount_blob(
        descriptor desc, std::string from_repository, Token&& token = {}) {
        return async_mount_blob(std::move(desc), std::move(from_repository), std::nullopt,
                                std::forward<Token>(token));
    }
    /// Completion-token form of `delete_blob`; a handler gets `void(std::exception_ptr)`.
    template <class Token = boost::asio::deferred_t>
    auto async_delete_blob(oras::digest d, Token&& token = {}) {
        return spawn<void>(std::forward<Token>(token), [d = std::move(d)](repository& r) mutable {
            return r.delete_blob(std::move(d));
        });
    }
    /// Completion-token form of `resolve`; a handler gets `void(std::exception_ptr, descriptor)`.
    template <class Token = boost::asio::deferred_t>
    auto async_resolve(std::string reference, Token&& token = {}) {
        return spawn<descriptor>(std::forward<Token>(token),
                                 [ref = std::move(reference)](repository& r) mutable {
                                     return r.resolve(std::move(ref));
                                 });
    }
    /// Completion-token form of `fetch_manifest`; a handler gets
    /// `void(std::exception_ptr, manifest_content)`.
    template <class Token = boost::asio::deferred_t>
    auto async_fetch_manifest(std::string reference, Token&& token = {}) {
        return spawn<manifest_content>(std::forward<Token>(token),
                                       [ref = std::move(reference)](repository& r) mutable {
                                           return r.fetch_manifest(std::move(ref));
                                       });
    }
    /// Completion-token form of `push_manifest`; a handler gets
    /// `void(std::exception_ptr, descriptor)`.
    template <class Token = boost::asio::deferred_t>
    auto async_push_manifest(std::string media_type, std::string bytes, std::string reference,
                             Token&& token = {}) {
        return spawn<descriptor>(
            std::forward<Token>(token), [mt = std::move(media_type), bytes = std::move(bytes),
                                         ref = std::move(reference)](repository& r) mutable {
                return r.push_manifest(std::move(mt), std::move(bytes), std::move(ref));
            });
    }
    /// Completion-token form of `push_manifest_tags`; a handler gets
    /// `void(std::exception_ptr, descriptor)`.
    template <class Token = boost::asio::deferred_t>
    auto async_push_manifest_tags(std::string media_type, std::string bytes,
                                  std::vector<std::string> references, Token&& token = {}) {
        return spawn<descriptor>(
            std::forward<Token>(token), [mt = std::move(media_type), bytes = std::move(bytes),
                                         refs = std::move(references)](repository& r) mutable {
                return r.push_manifest_tags(std::move(mt), std::move(bytes), std::move(refs));
            });
    }
    /// Completion-token form of `delete_tag`; a handler gets `void(std::exception_ptr)`.
    template <class Token = boost::asio::deferred_t>
    auto async_delete_tag(std::string tag_name, Token&& token = {}) {
        return spawn<void>(std::forward<Token>(token),
                           [t = std::move(tag_name)](repository& r) mutable {
                               return r.delete_tag(std::move(t));
                           });
    }
    /// Completion-token form of `tag`; a handler gets `void(std::exception_ptr, descriptor)`.
    template <class Token = boost::asio::deferred_t>
    auto async_tag(std::string reference, std::string tag_name, Token&& token = {}) {
        return spawn<descriptor>(
            std::forward<Token>(token),
            [ref = std::move(reference), t = std::move(tag_name)](repository& r) mutable {
                return r.tag(std::move(ref), std::move(t));
            });
    }
    /// Completion-token form of `delete_manifest`; a handler gets `void(std::exception_ptr)`.
    template <class Token = boost::asio::deferred_t>
    auto async_delete_manifest(oras::digest d, Token&& token = {}) {
        return spawn<void>(std::forward<Token>(token), [d = std::move(d)](repository& r) mutable {
            return r.delete_manifest(std::move(d));
        });
    }
    /// Completion-token form of `tags`; a handler gets
    /// `void(std::exception_ptr, std::vector<std::string>)`.
    template <class Token = boost::asio::deferred_t>
    auto async_tags(Token&& token = {}) {
        return spawn<std::vector<std::string>>(std::forward<Token>(token),
                                               [](repository& r) { return r.tags(); });
    }
    /// Completion-token form of `referrers`; a handler gets
    /// `void(std::exception_ptr, std::vector<descriptor>)`.
    template <class Token = boost::asio::deferred_t>
    auto async_referrers(oras::digest subject, std::string artifact_type, Token&& token = {}) {
        return spawn<std::vector<descriptor>>(
            std::forward<Token>(token),
            [subject = std::move(subject), type = std::move(artifact_type)](repository& r) mutable {
                return r.referrers(std::move(subject), std::move(type));
            });
    }
    /// `async_referrers` of every artifact type.
    template <class Token = boost::asio::deferred_t>
    requires(!std::is_convertible_v<Token, std::string>) auto async_referrers(oras::digest subject,
                                                                              Token&& token = {}) {
        return async_referrers(std::move(subject), std::string{}, std::forward<Token>(token));
    }

  private:
    /// Runs `op(copy of *this)` as a coroutine: the copy and the captured arguments live in its
    /// frame, whatever the token defers (see `oras::detail::start`).
    template <class T, class Token, class Op>
    auto spawn(Token&& token, Op op) {
        return oras::detail::start(get_executor(), run_op<T>(*this, std::move(op)),
                                   std::forward<Token>(token));
    }
    template <class T, class Op>
    static boost::asio::awaitable<T> run_op(repository self, Op op) {
        co_return co_await op(self);
    }

    friend struct detail::repository_access;
    explicit repository(std::shared_ptr<detail::repository_state> state)
        : state_(std::move(state)) {}

    std::shared_ptr<detail::repository_state> state_;
};

}  // namespace oras::registry

#pragma GCC visibility pop
