// Internal: a tar parser fed bytes as they arrive, with no I/O of its own.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>

namespace oras::content::detail {

/// One member of a tar, with its extended headers (PAX `x`, GNU `L`/`K`) applied.
struct tar_member {
    enum class kind {
        regular,    ///< '0', '\0', '7' (a name ending in '/' makes it a directory)
        directory,  ///< '5'
        symlink,    ///< '2'
        hard_link,  ///< '1'
        other,      ///< devices, fifos, vendor types: their data is skipped
    };
    kind type = kind::other;
    /// As the archive names it (PAX `path`, GNU long name, or ustar prefix + name).
    std::string name{};
    /// The target of a symlink or hard link.
    std::string link{};
    std::int64_t mode = 0644;
    std::int64_t mtime = 0;
    /// Bytes of data that follow the header.
    std::uint64_t size = 0;
};

/// Receives what `tar_reader::write` finds, in archive order.
class tar_handler {
  public:
    /// Every member; for a regular file, its data follows.
    virtual void on_member(const tar_member& m) = 0;
    /// The next bytes of the regular file last announced (never empty).
    virtual void on_data(std::span<const std::byte> data) = 0;
    /// After the last byte of a regular file (at once for an empty one).
    virtual void on_end_of_data() = 0;

  protected:
    ~tar_handler() = default;
};

/// Parses a tar pushed into it in chunks of any size: ustar, v7 and GNU headers (octal and
/// base-256 numbers), PAX `x` records (path, linkpath, size, mtime; `g` is read and ignored),
/// GNU long names (`L`) and long link names (`K`). Sparse files are refused.
///
/// Why not libarchive's reader: it pulls its input through a callback that must return bytes
/// synchronously, while a network sink pushes chunks as they arrive; it would need the whole
/// layer buffered, or a thread. This keeps memory at one chunk and hands each name to the
/// caller before anything is created for it.
///
/// Malformed input throws `oras::error` (`invalid_response`) naming what was wrong and where;
/// so may the handler. After a throw the reader is not to be used again.
class tar_reader {
  public:
    /// Extended headers and long names larger than this are refused.
    static constexpr std::size_t meta_limit = 1024 * 1024;
    /// Names and link targets longer than this (PATH_MAX without the NUL) are refused.
    static constexpr std::size_t name_limit = 4095;

    /// Parses `data`, calling `h` for what it completes.
    void write(std::span<const std::byte> data, tar_handler& h);

    /// Throws unless the input ended between members: after the two zero blocks, or (as Go's
    /// reader accepts) at a header boundary without them.
    void finish() const;

    /// The name of the member last seen, cut to 512 bytes, for messages.
    const std::string& member() const noexcept { return member_; }

    /// Whether the two zero blocks that end an archive were read (what follows is ignored).
    bool ended() const noexcept { return stage_ == stage::end; }

  private:
    enum class stage { header, file_data, meta_data, skip_data, padding, end };
    static constexpr std::size_t block = 512;

    void on_header(tar_handler& h);
    void on_member(char type, std::int64_t header_size, tar_handler& h);
    void begin_body(stage s, std::uint64_t size, tar_handler& h);
    void end_body(tar_handler& h);
    void end_meta();
    void parse_pax(bool global);
    std::string after() const;

    stage stage_ = stage::header;
    std::array<unsigned char, block> hdr_{};
    std::size_t hdr_fill_ = 0;
    std::uint64_t body_left_ = 0;
    std::uint64_t pad_left_ = 0;
    int zero_blocks_ = 0;
    char meta_kind_ = 0;
    std::string meta_{};
    std::optional<std::string> pax_path_{};
    std::optional<std::string> pax_linkpath_{};
    std::optional<std::int64_t> pax_size_{};
    std::optional<std::int64_t> pax_mtime_{};
    std::optional<std::string> long_name_{};
    std::optional<std::string> long_link_{};
    std::string member_{};
};

}  // namespace oras::content::detail
