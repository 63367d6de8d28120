#include "content/gzip.hpp"

#include <oras/error.hpp>

#define ZLIB_CONST
#include <zlib.h>

#include <algorithm>
#include <limits>
#include <new>
#include <string>

namespace oras::content::detail {

namespace {

[[noreturn]] void fail(errc code, const std::string& message) {
    throw error(make_error_code(code), message);
}

constexpr std::size_t inflate_chunk = 256 * 1024;  // decompressed output per inflate call

// zlib counts in uInt; spans are handed over in pieces it can take.
constexpr std::size_t zlib_max = std::numeric_limits<uInt>::max() / 2;

}  // namespace

struct gzip_encoder::impl {
    z_stream strm{};
    gz_header header{};
    bool init = false;

    explicit impl(int level) {
        if (level < 0 || level > 9) {
            fail(errc::invalid_argument,
                 "gzip level " + std::to_string(level) + " is not between 0 and 9");
        }
        if (deflateInit2(&strm, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
            throw std::bad_alloc();
        }
        init = true;
        set_header();
    }
    ~impl() {
        if (init) {
            deflateEnd(&strm);
        }
    }
    impl(const impl&) = delete;
    impl& operator=(const impl&) = delete;

    // zlib's default header carries its build's OS code (3 on Unix, 19 on macOS since 1.2.12);
    // a fixed one keeps the bytes the same across hosts. 255 "unknown" is what Go writes.
    void set_header() {
        header = gz_header{};
        header.os = 255;
        deflateSetHeader(&strm, &header);
    }

    void run(std::span<const std::byte> in, std::vector<std::byte>& out, int flush) {
        do {
            const auto piece = std::min(in.size(), zlib_max);
            strm.next_in = reinterpret_cast<const Bytef*>(in.data());
            strm.avail_in = static_cast<uInt>(piece);
            const bool last = piece == in.size();
            const int mode = last ? flush : Z_NO_FLUSH;
            int rc = Z_OK;
            do {
                const auto old = out.size();
                const std::size_t room = 64 * 1024;
                out.resize(old + room);
                strm.next_out = reinterpret_cast<Bytef*>(out.data() + old);
                strm.avail_out = static_cast<uInt>(room);
                rc = deflate(&strm, mode);
                out.resize(old + room - strm.avail_out);
                if (rc == Z_STREAM_ERROR) {
                    fail(errc::invalid_argument, "gzip compression failed");
                }
            } while (strm.avail_in > 0 || strm.avail_out == 0
                     || (mode == Z_FINISH && rc != Z_STREAM_END));
            in = in.subspan(piece);
        } while (!in.empty());
    }
};

gzip_encoder::gzip_encoder(int level) : impl_(std::make_unique<impl>(level)) {}
gzip_encoder::~gzip_encoder() = default;
gzip_encoder::gzip_encoder(gzip_encoder&& other) noexcept = default;
gzip_encoder& gzip_encoder::operator=(gzip_encoder&& other) noexcept = default;

void gzip_encoder::write(std::span<const std::byte> in, std::vector<std::byte>& out) {
    if (!in.empty()) {
        impl_->run(in, out, Z_NO_FLUSH);
    }
}

void gzip_encoder::finish(std::vector<std::byte>& out) {
    impl_->run({}, out, Z_FINISH);
    deflateReset(&impl_->strm);
    impl_->set_header();
}

std::vector<std::byte> gzip_encoder::compress(std::span<const std::byte> in, int level) {
    gzip_encoder e(level);
    std::vector<std::byte> out;
    e.write(in, out);
    e.finish(out);
    return out;
}

struct gzip_decoder::impl {
    z_stream strm{};
    bool init = false;
    bool in_member = false;  // bytes of a member that has not ended yet were fed
    bool ended = false;      // the last member fed has ended
    bool any_ended = false;
    std::vector<std::byte> buf;

    impl() {
        if (inflateInit2(&strm, 15 + 16) != Z_OK) {
            throw std::bad_alloc();
        }
        init = true;
    }
    ~impl() {
        if (init) {
            inflateEnd(&strm);
        }
    }
    impl(const impl&) = delete;
    impl& operator=(const impl&) = delete;

    [[noreturn]] void corrupt() const {
        fail(errc::invalid_response,
             std::string("layer is not valid gzip: ") + (strm.msg ? strm.msg : "corrupt data"));
    }
};

gzip_decoder::gzip_decoder() : impl_(std::make_unique<impl>()) {}
gzip_decoder::~gzip_decoder() = default;
gzip_decoder::gzip_decoder(gzip_decoder&& other) noexcept = default;
gzip_decoder& gzip_decoder::operator=(gzip_decoder&& other) noexcept = default;

void gzip_decoder::write(std::span<const std::byte> in, const sink_fn& sink) {
    auto& d = *impl_;
    if (d.buf.empty()) {
        d.buf.resize(inflate_chunk);
    }
    while (!in.empty()) {
        const auto piece = std::min(in.size(), zlib_max);
        d.strm.next_in = reinterpret_cast<const Bytef*>(in.data());
        d.strm.avail_in = static_cast<uInt>(piece);
        for (;;) {
            if (d.ended) {
                if (d.strm.avail_in == 0) {
                    break;
                }
                // Another member follows (gzip's multi-member streams); anything but a gzip
                // header fails inflate as "incorrect header check".
                inflateReset(&d.strm);
                d.ended = false;
            }
            d.in_member = true;
            const auto before_in = d.strm.avail_in;
            d.strm.next_out = reinterpret_cast<Bytef*>(d.buf.data());
            d.strm.avail_out = static_cast<uInt>(d.buf.size());
            const int rc = inflate(&d.strm, Z_NO_FLUSH);
            const auto produced = d.buf.size() - d.strm.avail_out;
            if (rc == Z_STREAM_END) {
                d.ended = true;
                d.any_ended = true;
                d.in_member = false;
            } else if (rc == Z_MEM_ERROR) {
                throw std::bad_alloc();
            } else if (rc != Z_OK && rc != Z_BUF_ERROR) {
                d.corrupt();
            }
            if (produced > 0) {
                sink(std::span<const std::byte>(d.buf.data(), produced));
            }
            if (rc != Z_STREAM_END && d.strm.avail_out != 0) {
                if (d.strm.avail_in != 0 && d.strm.avail_in == before_in && produced == 0) {
                    d.corrupt();  // no progress with input and room: cannot happen with zlib
                }
                if (d.strm.avail_in == 0) {
                    break;
                }
            }
        }
        in = in.subspan(piece);
    }
}

void gzip_decoder::finish() {
    const auto& d = *impl_;
    if (d.in_member) {
        fail(errc::invalid_response, "layer is truncated: the gzip stream does not end");
    }
    if (!d.any_ended) {
        fail(errc::invalid_response, "layer is empty: no gzip stream");
    }
}

std::vector<std::byte> gzip_decoder::decompress(std::span<const std::byte> in) {
    gzip_decoder d;
    std::vector<std::byte> out;
    d.write(in,
            [&out](std::span<const std::byte> b) { out.insert(out.end(), b.begin(), b.end()); });
    d.finish();
    return out;
}

}  // namespace oras::content::detail
