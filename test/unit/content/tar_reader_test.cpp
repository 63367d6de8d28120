// The tar parser alone: bytes in, events out, no files and no gzip.
#include "content/tar_reader.hpp"
#include "content/tar_builder.hpp"

#include <oras/error.hpp>

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace {

using oras::errc;
using oras::content::detail::tar_handler;
using oras::content::detail::tar_member;
using oras::content::detail::tar_reader;
using oras::test::tar_builder;

const char* kind_name(tar_member::kind k) {
    switch (k) {
        case tar_member::kind::regular:
            return "regular";
        case tar_member::kind::directory:
            return "directory";
        case tar_member::kind::symlink:
            return "symlink";
        case tar_member::kind::hard_link:
            return "hard_link";
        case tar_member::kind::other:
            return "other";
    }
    return "?";
}

// Writes each event as one line; the bytes of one file are one `data` line however they were
// split, so that any chunking gives the same transcript.
class recorder final : public tar_handler {
  public:
    std::vector<std::string> events;

    void on_member(const tar_member& m) override {
        std::string e = std::string(kind_name(m.type)) + " " + m.name;
        if (!m.link.empty()) {
            e += " -> " + m.link;
        }
        e += " size=" + std::to_string(m.size) + " mtime=" + std::to_string(m.mtime);
        events.push_back(e);
        open_ = false;
    }
    void on_data(std::span<const std::byte> data) override {
        EXPECT_FALSE(data.empty());
        if (!open_) {
            events.emplace_back("data ");
            open_ = true;
        }
        events.back().append(reinterpret_cast<const char*>(data.data()), data.size());
    }
    void on_end_of_data() override {
        events.emplace_back("end");
        open_ = false;
    }

  private:
    bool open_ = false;
};

// Feeds `tar` in chunks of `chunk` bytes (0: all at once) and finishes.
std::vector<std::string> parse(const std::string& tar, std::size_t chunk = 0) {
    tar_reader r;
    recorder h;
    const auto all = std::as_bytes(std::span(tar));
    const std::size_t step = chunk == 0 ? all.size() : chunk;
    for (std::size_t off = 0; off < all.size(); off += step) {
        r.write(all.subspan(off, std::min(step, all.size() - off)), h);
    }
    r.finish();
    return h.events;
}

using events = std::vector<std::string>;

// Recomputes the checksum of the header at `off` after a test edited it.
void rechecksum(std::string& t, std::size_t off = 0) {
    std::memset(t.data() + off + 148, ' ', 8);
    unsigned sum = 0;
    for (std::size_t i = 0; i < 512; ++i) {
        sum += static_cast<unsigned char>(t[off + i]);
    }
    std::snprintf(t.data() + off + 148, 8, "%06o", sum);
}

struct good_case {
    const char* what;
    std::string tar;
    events expected;
};

std::vector<good_case> good_cases() {
    const std::string long_name(300, 'n');
    return {
        {"a regular file",
         tar_builder().entry("a.txt", '0', "hello").tar(),
         {"regular a.txt size=5 mtime=0", "data hello", "end"}},
        {"an empty file ends at once",
         tar_builder().entry("e", '0').tar(),
         {"regular e size=0 mtime=0", "end"}},
        {"type NUL and '7' are regular files",
         tar_builder().entry("a", '\0', "1").entry("b", '7', "2").tar(),
         {"regular a size=1 mtime=0", "data 1", "end", "regular b size=1 mtime=0", "data 2",
          "end"}},
        {"a directory, and a regular file named with a slash",
         tar_builder().entry("d", '5').entry("e/", '0').tar(),
         {"directory d size=0 mtime=0", "directory e/ size=0 mtime=0"}},
        {"links carry their target",
         tar_builder().entry("l", '2', "", "t").entry("h", '1', "", "a").tar(),
         {"symlink l -> t size=0 mtime=0", "hard_link h -> a size=0 mtime=0"}},
        {"a fifo is reported and its data skipped",
         tar_builder().entry("f", '6', "ignored").entry("a", '0', "x").tar(),
         {"other f size=7 mtime=0", "regular a size=1 mtime=0", "data x", "end"}},
        {"a body of exactly one block has no padding",
         tar_builder().entry("b", '0', std::string(512, 'z')).tar(),
         {"regular b size=512 mtime=0", "data " + std::string(512, 'z'), "end"}},
        {"ustar prefix joins the name",
         tar_builder().entry("b", '0', "", "", "pre/fix").tar(),
         {"regular pre/fix/b size=0 mtime=0", "end"}},
        {"GNU magic keeps other data where ustar has the prefix",
         tar_builder().entry("b", '0', "", "", "junk", "ustar  \0").tar(),
         {"regular b size=0 mtime=0", "end"}},
        {"PAX path, linkpath and mtime override the header",
         tar_builder()
             .pax({{"path", long_name}, {"linkpath", "target"}, {"mtime", "1700000000.25"}})
             .entry("short", '2')
             .tar(),
         {"symlink " + long_name + " -> target size=0 mtime=1700000000"}},
        {"PAX records apply to the next member only",
         tar_builder().pax({{"path", "p"}}).entry("x", '0').entry("y", '0').tar(),
         {"regular p size=0 mtime=0", "end", "regular y size=0 mtime=0", "end"}},
        {"a PAX size overrides the header's",
         tar_builder().pax({{"size", "3"}}).entry("s", '0', "abc").tar(),
         {"regular s size=3 mtime=0", "data abc", "end"}},
        {"a global PAX header is read and ignored",
         tar_builder().entry("g", 'g', "10 path=q\n").entry("a", '0').tar(),
         {"regular a size=0 mtime=0", "end"}},
        {"GNU long name and long link name",
         tar_builder()
             .entry("././@LongLink", 'L', long_name + std::string(1, '\0'))
             .entry("././@LongLink", 'K', "far/away" + std::string(1, '\0'))
             .entry("cut", '2')
             .tar(),
         {"symlink " + long_name + " -> far/away size=0 mtime=0"}},
        {"what follows the two zero blocks is ignored",
         tar_builder().entry("a", '0').tar() + std::string(700, 'x'),
         {"regular a size=0 mtime=0", "end"}},
        {"an archive may end at a header boundary without its zero blocks",
         tar_builder().entry("a", '0', "q").tar().substr(0, 1024),
         {"regular a size=1 mtime=0", "data q", "end"}},
    };
}

TEST(tar_reader, members_and_data_in_order_for_any_chunking) {
    for (const auto& c : good_cases()) {
        for (const std::size_t chunk : {std::size_t{0}, std::size_t{1}, std::size_t{511},
                                        std::size_t{513}, std::size_t{4096}}) {
            try {
                EXPECT_EQ(parse(c.tar, chunk), c.expected) << c.what << ", chunk " << chunk;
            } catch (const std::exception& e) {
                ADD_FAILURE() << c.what << ", chunk " << chunk << ": " << e.what();
            }
        }
    }
}

TEST(tar_reader, ended_after_two_zero_blocks) {
    tar_reader r;
    recorder h;
    const auto t = tar_builder().entry("a", '0').tar();
    const auto all = std::as_bytes(std::span(t));
    r.write(all.first(all.size() - 512), h);
    EXPECT_FALSE(r.ended());
    r.write(all.last(512), h);
    EXPECT_TRUE(r.ended());
    EXPECT_EQ(r.member(), "a");
}

TEST(tar_reader, base_256_size) {
    auto t = tar_builder().entry("b", '0', "abcd").tar();
    // Size field as base-256 (high bit set), checksum recomputed.
    std::memset(t.data() + 124, 0, 12);
    t[124] = static_cast<char>(0x80);
    t[135] = 4;
    rechecksum(t);
    EXPECT_EQ(parse(t), (events{"regular b size=4 mtime=0", "data abcd", "end"}));
}

struct bad_case {
    const char* what;
    std::string tar;
    const char* needle;
};

std::vector<bad_case> bad_cases() {
    auto bad_sum = tar_builder().entry("a", '0', "x").tar();
    bad_sum[0] = 'b';
    auto bad_size = tar_builder().entry("a", '0', "x").tar();
    bad_size[124] = '9';  // not octal
    rechecksum(bad_size);
    const std::string huge(5000, 'h');
    std::string lone_zero = std::string(512, '\0') + tar_builder().entry("a", '0').tar();
    auto big_meta = tar_builder().entry("a", 'x').tar();
    std::snprintf(big_meta.data() + 124, 12, "%011o", (1u << 20) + 1);
    rechecksum(big_meta);
    return {
        {"a bad checksum", bad_sum, "bad header checksum"},
        {"a size that is not a number", bad_size, "bad size in the header"},
        {"a lone zero block", lone_zero, "lone zero block"},
        {"a sparse file", tar_builder().entry("s", 'S').tar(), "GNU sparse file"},
        {"a name too long", tar_builder().pax({{"path", huge}}).entry("a", '0').tar(),
         "bytes, more than 4095"},
        {"a link target too long", tar_builder().pax({{"linkpath", huge}}).entry("a", '2').tar(),
         "link target of 5000 bytes"},
        {"an extended header too large", big_meta, "an extended header of 1048577 bytes"},
        {"a malformed PAX record", tar_builder().entry("p", 'x', "5 a\n").tar(),
         "malformed PAX header"},
        {"a PAX record without '='", tar_builder().entry("p", 'x', "7 path\n").tar(),
         "malformed PAX record"},
        {"a sparse PAX record", tar_builder().pax({{"GNU.sparse.map", "0"}}).entry("a", '0').tar(),
         "sparse files are not supported"},
        {"a malformed PAX size", tar_builder().pax({{"size", "x1"}}).entry("a", '0').tar(),
         "malformed PAX size"},
        {"an archive cut inside a body",
         tar_builder().entry("a", '0', "hello").tar().substr(0, 514), "the tar ends inside \"a\""},
        {"an archive cut inside a header", tar_builder().entry("a", '0').tar().substr(0, 100),
         "layer is truncated"},
        {"an extended header with no member after it",
         tar_builder().pax({{"path", "p"}}).tar().substr(0, 1024),
         "an extended header without a member"},
    };
}

TEST(tar_reader, malformed_input_is_an_invalid_response_naming_the_fault) {
    for (const auto& c : bad_cases()) {
        for (const std::size_t chunk : {std::size_t{0}, std::size_t{7}}) {
            try {
                parse(c.tar, chunk);
                ADD_FAILURE() << c.what << ": parsed";
            } catch (const oras::error& e) {
                EXPECT_EQ(e.code(), errc::invalid_response) << c.what;
                EXPECT_NE(std::string(e.what()).find(c.needle), std::string::npos)
                    << c.what << ": " << e.what();
            }
        }
    }
}

}  // namespace
