// reference: `registry/repository[:tag][@digest]`, per the distribution reference grammar.
#pragma once

#include <oras/digest.hpp>
#include <oras/result.hpp>

#include <cstdint>
#include <iosfwd>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#pragma GCC visibility push(default)

namespace oras {

/// A parsed artifact reference. Every value has a registry and a repository; it may have a tag,
/// a digest, both (`repo:tag@digest`, where the digest wins when resolving) or neither.
/// `str()` gives back exactly the text that `parse` accepted.
class reference {
  public:
    /// Parses the ORAS form, in which the registry is always explicit:
    /// `localhost:5000/team/app:v1`, `[::1]:5000/app@sha256:...`, `ghcr.io/a/b:t@sha256:...`.
    /// Fails with `invalid_reference` naming the bad part, or with a digest error.
    static result<reference> parse(std::string_view text);

    /// Parses the Docker form, which defaults the registry to `docker.io` when the first path
    /// component has no '.' or ':' and is not `localhost`, and prefixes one-component Docker
    /// Hub names with `library/` (`ubuntu` -> `docker.io/library/ubuntu`). `str()` gives the
    /// normalised text.
    static result<reference> parse_docker(std::string_view text);

    /// The registry as written: `docker.io`, `localhost:5000`, `[::1]:5000`.
    const std::string& registry() const noexcept { return registry_; }
    /// The host part of the registry without brackets or port: `::1`, `localhost`.
    std::string_view host() const noexcept;
    /// The port of the registry, if written.
    std::optional<std::uint16_t> port() const noexcept { return port_; }
    /// Where to connect: the registry, except Docker Hub's `docker.io`, served by
    /// `registry-1.docker.io`.
    std::string endpoint() const;

    /// The repository path, without registry, tag or digest: `team/app`.
    const std::string& repository() const noexcept { return repository_; }
    /// The tag, or empty.
    const std::string& tag() const noexcept { return tag_; }
    /// The digest, or an empty digest.
    const oras::digest& digest() const noexcept { return digest_; }
    /// Whether a tag was given (`tag()` is not empty).
    bool has_tag() const noexcept { return !tag_.empty(); }
    /// Whether a digest was given (`digest()` is not empty).
    bool has_digest() const noexcept { return !digest_.empty(); }

    /// `registry/repository`.
    std::string name() const;
    /// The whole reference, exactly as accepted.
    std::string str() const;
    /// What identifies the manifest within the repository: the digest if present, else the tag,
    /// else empty.
    std::string manifest_reference() const;

    /// The same repository under another tag (drops any digest).
    result<reference> with_tag(std::string_view tag) const;
    /// The same repository at a digest (drops any tag).
    reference with_digest(const oras::digest& d) const;

    /// Compares every part as parsed, the registry as written: `localhost:5000` and
    /// `127.0.0.1:5000` differ.
    friend bool operator==(const reference&, const reference&) = default;

  private:
    std::string registry_;
    std::optional<std::uint16_t> port_;
    std::string repository_;
    std::string tag_;
    oras::digest digest_;
};

std::ostream& operator<<(std::ostream& os, const reference& r);

/// Checks a registry host with optional port: a domain name (components of letters, digits and
/// inner '-'), an IPv4 address, or a bracketed IPv6 address, then optionally `:port`.
result<void> validate_registry(std::string_view registry);
/// Checks a repository path: lowercase components of `[a-z0-9]+` joined by `.`, `_`, `__` or
/// runs of `-`, separated by '/'. `registry` is only used for the 255-character name limit.
result<void> validate_repository(std::string_view repository, std::string_view registry = {});
/// Checks a tag: `[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}`.
result<void> validate_tag(std::string_view tag);
/// Checks a name in an OCI image layout's index (`org.opencontainers.image.ref.name`): a tag
/// (`validate_tag`), or a name in the image-layout spec's grammar, components of letters and
/// digits joined by one of `-._:@+` or by `--`, separated by `/` (`example.com/app:v1`, as the
/// ORAS CLI's `--oci-layout-path` names what it stores). At most 1024 characters; none starting
/// with `sha256:` or `sha512:` (read as a digest).
result<void> validate_ref_name(std::string_view name);

/// A reference whose tag part names several tags, as the ORAS CLI's push and cp destinations
/// take them: `registry/repository:t1,t2[@digest]`.
struct tagged_reference {
    std::string reference{};          ///< `registry/repository[:t1][@digest]`: the first tag only
    std::vector<std::string> tags{};  ///< t1, t2, ... (empty when there is no tag part)
};

/// Splits the tag list off `text`; each tag must be valid. The rest is not checked: parse
/// `reference` for that.
result<tagged_reference> split_tags(std::string_view text);

/// `t1,t2,...`: at least one tag, each valid.
result<std::vector<std::string>> parse_tag_list(std::string_view list);

}  // namespace oras

#pragma GCC visibility pop
