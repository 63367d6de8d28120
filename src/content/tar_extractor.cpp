#include "content/tar_extractor.hpp"

#include "content/gzip.hpp"
#include "content/safe_tree_writer.hpp"
#include "content/tar_reader.hpp"
#include "core/quote.hpp"

#include <oras/error.hpp>
#include <oras/hasher.hpp>

#include <algorithm>
#include <utility>
#include <vector>

namespace oras::content::detail {

namespace asio = boost::asio;
namespace fs = std::filesystem;
using oras::detail::quote;

namespace {

[[noreturn]] void fail(errc code, const std::string& message) {
    throw error(make_error_code(code), message);
}

// Checked before the output directory is created: a bad option leaves nothing behind.
oras::digest expected_digest(const std::string& text) {
    if (text.empty()) {
        return {};
    }
    auto d = oras::digest::parse(text);
    if (!d) {
        throw error(d.error().code, "expected tar digest: " + d.error().message);
    }
    return *d;
}

}  // namespace

// gzip -> hash -> tar_reader -> (names checked here) -> safe_tree_writer.
struct tar_extractor::impl final : tar_handler {
    fs::path out_dir;
    unpack_options opts;
    oras::digest expected;
    safe_tree_writer tree;
    gzip_decoder gz;
    tar_reader tar;
    hasher hash;
    oras::digest actual;
    std::uint64_t tar_size = 0;
    std::uint64_t compressed_size = 0;
    std::uint64_t members = 0;
    bool failed = false;
    bool finished = false;

    // Members are initialised in declaration order: the options are checked (the digest here,
    // the prefix by the writer) before the writer creates the output directory.
    impl(fs::path dir, unpack_options o)
        : out_dir(dir),
          opts(std::move(o)),
          expected(expected_digest(opts.expected_tar_digest)),
          tree(std::move(dir), tree_writer_options{.keep_old_files = opts.keep_old_files,
                                                   .required_prefix = opts.required_prefix}),
          hash(expected.empty() ? digest_algorithm::sha256 : expected.algorithm()) {}

    // Abandoned mid-way (the source failed between two writes): as after a failure.
    ~impl() {
        if (!finished && !failed) {
            tree.take_back();
        }
    }
    impl(const impl&) = delete;
    impl& operator=(const impl&) = delete;

    void on_member(const tar_member& m) override {
        if (opts.max_members != 0 && ++members > opts.max_members) {
            fail(errc::size_exceeds_limit,
                 "layer has more than " + std::to_string(opts.max_members)
                     + " members, the limit (unpack_options::max_members)");
        }
        if (m.type == tar_member::kind::other) {
            return;  // devices, fifos, vendor types: skipped, as oras-go skips them
        }
        const auto& member = tar.member();
        const auto parts = split_member_name(m.name, "member");
        if (!tree.under_prefix(parts)) {
            fail(errc::invalid_response,
                 "member " + quote(m.name) + " is not under " + quote(opts.required_prefix));
        }
        switch (m.type) {
            case tar_member::kind::directory:
                tree.make_directory(parts, m.mode, member);
                break;
            case tar_member::kind::regular:
                tree.begin_file(parts, m.mode, m.mtime, member);
                break;
            case tar_member::kind::symlink:
                tree.make_symlink(parts, m.link, member);
                break;
            case tar_member::kind::hard_link:
                tree.make_hard_link(parts, m.link, member);
                break;
            case tar_member::kind::other:
                break;
        }
    }

    void on_data(std::span<const std::byte> data) override { tree.write_file(data); }

    void on_end_of_data() override { tree.end_file(); }

    void check_expansion() const {
        if (opts.max_tar_bytes != 0 && tar_size > opts.max_tar_bytes) {
            fail(errc::size_exceeds_limit,
                 "layer expands past " + std::to_string(opts.max_tar_bytes)
                     + " bytes of tar, the limit (unpack_options::max_tar_bytes)");
        }
        const auto ratio = tar_size / std::max<std::uint64_t>(compressed_size, 1);
        if (opts.max_expansion_ratio != 0 && tar_size > opts.ratio_checked_after
            && ratio > opts.max_expansion_ratio) {
            fail(errc::size_exceeds_limit,
                 "layer expands " + std::to_string(ratio)
                     + " times its compressed size, past the limit of "
                     + std::to_string(opts.max_expansion_ratio)
                     + " (unpack_options::max_expansion_ratio): a gzip bomb?");
        }
    }

    void write(std::span<const std::byte> compressed) {
        if (failed) {
            fail(errc::invalid_argument,
                 "the extraction into " + quote(out_dir.string()) + " has already failed");
        }
        try {
            compressed_size += compressed.size();
            gz.write(compressed, [this](std::span<const std::byte> bytes) {
                hash.update(bytes);
                tar_size += bytes.size();
                check_expansion();
                tar.write(bytes, *this);
            });
        } catch (...) {
            failed = true;
            tree.take_back();  // with keep_old_files nothing was replaced
            throw;
        }
    }

    void finish() {
        if (failed) {
            fail(errc::invalid_argument,
                 "the extraction into " + quote(out_dir.string()) + " has already failed");
        }
        try {
            gz.finish();
            tar.finish();
            actual = hash.finish();
            if (!expected.empty() && actual != expected) {
                fail(errc::digest_mismatch,
                     "the layer's tar has digest " + actual.str() + ", expected " + expected.str());
            }
            finished = true;
        } catch (...) {
            failed = true;
            tree.take_back();  // with keep_old_files nothing was replaced
            throw;
        }
    }
};

tar_extractor::tar_extractor(fs::path out_dir, unpack_options opts)
    : impl_(std::make_unique<impl>(std::move(out_dir), std::move(opts))) {}

tar_extractor::~tar_extractor() = default;

void tar_extractor::take_back() noexcept {
    impl_->tree.take_back();
}

void tar_extractor::write(std::span<const std::byte> compressed) {
    impl_->write(compressed);
}

void tar_extractor::finish() {
    impl_->finish();
}

const oras::digest& tar_extractor::tar_digest() const noexcept {
    return impl_->actual;
}

std::uint64_t tar_extractor::tar_size() const noexcept {
    return impl_->tar_size;
}

byte_sink tar_extractor::sink(std::shared_ptr<tar_extractor> self) {
    return [self](std::span<const std::byte> b) -> asio::awaitable<void> {
        self->write(b);
        co_return;
    };
}

asio::awaitable<oras::digest> unpack(byte_source::read_fn compressed, fs::path out_dir,
                                     unpack_options opts) {
    tar_extractor x(std::move(out_dir), std::move(opts));
    std::vector<std::byte> buf(256 * 1024);
    for (;;) {
        const auto n = co_await compressed(std::span<std::byte>(buf));
        if (n == 0) {
            break;
        }
        x.write(std::span<const std::byte>(buf.data(), n));
    }
    x.finish();
    co_return x.tar_digest();
}

}  // namespace oras::content::detail
