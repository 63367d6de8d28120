// target: what push, pull and copy work on — a remote repository, an OCI image layout, a
// directory of files, memory. Storage (exists, fetch, push), resolver and tagger in one.
#pragma once

#include <oras/byte_sink.hpp>
#include <oras/byte_source.hpp>
#include <oras/descriptor.hpp>
#include <oras/result.hpp>

#include <boost/asio/awaitable.hpp>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#pragma GCC visibility push(default)

namespace oras::content {

/// Wraps `src` so that its bytes are checked against `desc` as they are read: a read that would
/// hand out more than `desc.size` bytes, or the last bytes of content whose digest differs,
/// throws (`errc::size_mismatch`, `errc::digest_mismatch`) instead of returning them, and so
/// does an end before `desc.size` bytes. A consumer that stops at a failure therefore never
/// holds the complete wrong content (a registry upload is cut before its last byte). The
/// result has `check::verified` and no `file()` (the bytes must pass through
/// the check); it rewinds when `src` does. A source verified already (`check::verified`: a
/// target's reader of `desc` that checks its own bytes) is returned as it is, so that no byte
/// is hashed twice.
/// `origin` (a file, a registry) is named in the errors when not empty.
byte_source verified(byte_source src, const descriptor& desc, std::string origin = {});

/// Opens the bytes of a blob when, and only when, they are wanted (`push_unless_present`).
using opener = std::function<boost::asio::awaitable<byte_source>()>;

/// Storage, resolver and tagger. Blobs and manifests alike: an implementation routes by media
/// type where it must (a registry stores manifests apart from blobs).
///
/// Every implementation verifies what it stores and what it serves: `push` refuses content
/// whose size or digest differs from the descriptor (nothing is stored), `open` and `fetch`
/// fail instead of completing with other bytes. Failures throw `oras::error`.
///
/// Optional capabilities (found with `dynamic_cast`, as oras-go finds its interfaces):
/// `mounter`, `referrer_lister`, `tag_lister`.
class target {
  public:
    virtual ~target() = default;

    /// Whether the content `desc` names is stored.
    virtual boost::asio::awaitable<bool> exists(descriptor desc) = 0;

    /// A reader of the content of `desc`, pulled by the caller: what copies a blob from one
    /// target into another with no pipe and no temporary file. The reader is verified (see
    /// `verified`): it fails instead of handing out the end of wrong content — except for
    /// content the store itself hashed just before (a file store's added files), which comes
    /// unverified with `digest_checked` set; every `push` then checks on its own side (the
    /// local stores verify as they write, a registry checks the digest of its PUT). Not-found and
    /// other failures known before the first byte throw here. The reader keeps what it needs
    /// alive; it must be read on this target's executor.
    virtual boost::asio::awaitable<byte_source> open(descriptor desc) = 0;

    /// Streams the content of `desc` into `sink`, verified as it streams: the sink may see
    /// bytes of a fetch that fails at the end, and must then discard them. The default reads
    /// `open(desc)` to its end, verifying what the reader does not verify itself.
    virtual boost::asio::awaitable<void> fetch(descriptor desc, byte_sink sink);

    /// Stores `src` as the content of `desc`.
    virtual boost::asio::awaitable<void> push(descriptor desc, byte_source src) = 0;

    /// Stores the content of `desc` unless it is stored already: true when it was (`open` is
    /// then not called), false when the bytes `open` returned were stored. The default asks
    /// `exists`, then opens and pushes; a registry asks about a small blob and opens its upload
    /// in one request.
    virtual boost::asio::awaitable<bool> push_unless_present(descriptor desc, opener open);

    /// Stores content whose size and digest are not known ahead (a directory being archived)
    /// and returns its descriptor with `media_type`.
    virtual boost::asio::awaitable<descriptor> push_unknown(std::string media_type,
                                                            byte_source src) = 0;

    /// The descriptor of the manifest `reference` (a tag, or a digest) names.
    virtual boost::asio::awaitable<descriptor> resolve(std::string reference) = 0;

    /// Makes `reference` (a tag) name the stored manifest `desc`.
    virtual boost::asio::awaitable<void> tag(descriptor desc, std::string reference) = 0;

    /// Whether `tag` can name a manifest here, checked before anything is sent: by default a
    /// tag (`validate_tag`); an OCI layout also takes the image-layout spec's reference names.
    virtual result<void> check_tag(std::string_view tag) const;

    /// Stores a manifest and names it by each of `references`. The default pushes, then tags;
    /// a registry does both in one PUT per reference.
    virtual boost::asio::awaitable<void> push_tagged(descriptor desc, byte_source src,
                                                     std::vector<std::string> references);
};

/// A target that can make a blob of another target appear without its bytes crossing the
/// client: a registry's cross-repository mount.
class mounter {
  public:
    virtual ~mounter() = default;
    /// Tries to mount `desc` from `source`. True when the blob is now stored here; false when
    /// `source` is not a place this target can mount from (another registry, a layout) or the
    /// registry declined — the caller then copies the bytes. No upload session is left open.
    virtual boost::asio::awaitable<bool> mount(descriptor desc, target& source) = 0;
    /// Whether `source` is a place `mount` could mount from (no request): lets a caller wait
    /// for a blob to land there instead of sending it twice.
    virtual bool can_mount_from(const target& source) const = 0;
};

/// A target that can resolve a reference and hand over the manifest it names in one step (a
/// registry: one GET by tag, where `resolve` then `open` were a HEAD and a GET), as oras-go's
/// `ReferenceFetcher`.
class reference_fetcher {
  public:
    virtual ~reference_fetcher() = default;
    /// The descriptor `reference` names (its digest that of the bytes) and the manifest's
    /// bytes, at most `limit` of them (`size_exceeds_limit` beyond).
    virtual boost::asio::awaitable<std::pair<descriptor, std::string>> fetch_reference(
        std::string reference, std::size_t limit) = 0;
};

/// A target that can list the manifests whose `subject` is a given manifest.
class referrer_lister {
  public:
    virtual ~referrer_lister() = default;
    /// Descriptors of the referrers of `subject`; only those of `artifact_type` unless empty.
    virtual boost::asio::awaitable<std::vector<descriptor>> referrers(
        descriptor subject, std::string artifact_type) = 0;
};

/// A target that can list its tags.
class tag_lister {
  public:
    virtual ~tag_lister() = default;
    /// Every tag the target holds, in the target's own order.
    virtual boost::asio::awaitable<std::vector<std::string>> tags() = 0;
};

/// A target that can serve a blob from an offset: what lets a copy continue a transfer an
/// earlier process left half done (see `resumable`).
class ranged_opener {
  public:
    virtual ~ranged_opener() = default;
    /// A reader of the bytes of blob `desc` from `offset` on (`length`: `desc.size - offset`),
    /// not verified: the caller checks the whole content. `unsupported` when this target cannot
    /// after all (a wrapper whose inner target cannot): the caller then reads from the start.
    virtual boost::asio::awaitable<byte_source> open_from(descriptor desc,
                                                          std::uint64_t offset) = 0;
};

/// A target that keeps what an interrupted push of a large blob wrote (a killed pull) so that
/// a later push can continue it instead of starting over.
class resumable {
  public:
    virtual ~resumable() = default;
    /// How many bytes of `desc` an earlier push left to continue from; 0: none; `desc.size`:
    /// all of them (a push that ended before its commit), still to be verified.
    virtual std::uint64_t partial_size(const descriptor& desc) = 0;
    /// Stores `desc` from the first `offset` bytes kept from before and `rest`, the bytes from
    /// `offset` on (none when `offset` is `desc.size`); the whole is verified against `desc` (a
    /// kept prefix that was damaged fails with `digest_mismatch` and is discarded, so the next
    /// attempt starts over).
    virtual boost::asio::awaitable<void> push_rest(descriptor desc, std::uint64_t offset,
                                                   byte_source rest) = 0;
};

/// A target that deletes content (oras-go's `content.Deleter`).
class deleter {
  public:
    virtual ~deleter() = default;
    /// Deletes `desc`: a manifest with every tag on it, or a blob. `not_found` when it is not
    /// there. What refers to it is not checked (a registry may refuse; a layout does not).
    virtual boost::asio::awaitable<void> remove(descriptor desc) = 0;
};

/// Reads the whole content of `desc` from `t` under `limit` bytes (manifests, configs).
boost::asio::awaitable<std::string> fetch_all(target& t, descriptor desc,
                                              std::size_t limit = 4 * 1024 * 1024);

}  // namespace oras::content

#pragma GCC visibility pop
