// The CLI's transfer progress: on a terminal, bars only for what is in flight and each ended
// blob printed once; elsewhere one line per ended blob.
#include "cli/display/progress.hpp"
#include "cli/display/json.hpp"

#include <oras/digest.hpp>
#include <oras/ops/progress.hpp>

#include <gtest/gtest.h>

#include <cstddef>
#include <sstream>
#include <string>

namespace {

using oras::cli::progress_display;
using kind = oras::ops::progress_event::kind;

oras::ops::progress_event event(kind what, const std::string& name, std::int64_t size = 4096) {
    oras::ops::progress_event e;
    e.what = what;
    e.name = name;
    e.desc.size = size;
    e.done = what == kind::finished || what == kind::bytes ? static_cast<std::uint64_t>(size) : 0;
    return e;
}

std::size_t count(const std::string& text, const std::string& what) {
    std::size_t n = 0;
    for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) {
        ++n;
    }
    return n;
}

// What the last redraw wrote: each ends by clearing what is below it.
std::string last_draw(const std::string& text) {
    const auto end = text.rfind("\x1b[J");
    if (end == std::string::npos) {
        return {};
    }
    const auto before = end == 0 ? std::string::npos : text.rfind("\x1b[J", end - 1);
    const auto start = before == std::string::npos ? 0 : before + 3;
    return text.substr(start, end - start);
}

TEST(progress_display, on_a_terminal_an_ended_blob_is_printed_once_and_leaves_the_bars) {
    std::ostringstream out;
    progress_display d(true, true, "Downloading", "Downloaded", out);
    const auto on = d.callback();
    constexpr int files = 300;
    for (int i = 0; i < files; ++i) {
        on(event(kind::started, "f" + std::to_string(i)));
        on(event(kind::bytes, "f" + std::to_string(i)));
        on(event(kind::finished, "f" + std::to_string(i)));
    }
    d.done();
    const auto text = out.str();
    for (int i = 0; i < files; ++i) {
        EXPECT_EQ(count(text, "Downloaded  f" + std::to_string(i) + "  4.0 KiB\n"), 1U) << i;
    }
    // Nothing is left in flight: the last draw has no bar, and no draw held ended blobs
    // (a bar per blob ever seen made this grow with the square of the files).
    const auto last = last_draw(text);
    EXPECT_NE(last.find("Total"), std::string::npos);
    EXPECT_EQ(count(last, "Downloading"), 0U);
    EXPECT_LT(text.size(), files * 200U);
    EXPECT_NE(text.find("Total 1.2 MiB in"), std::string::npos);
}

TEST(progress_display, a_resumed_blob_starts_at_what_was_kept_and_counts_only_what_moved) {
    std::ostringstream out;
    progress_display d(true, true, "Downloading", "Downloaded", out);
    const auto on = d.callback();
    constexpr std::int64_t size = 4 << 20;
    on(event(kind::started, "big.bin", size));
    auto kept = event(kind::resumed, "big.bin", size);
    kept.done = 3 << 20;
    on(kept);
    d.done();
    auto last = last_draw(out.str());
    EXPECT_NE(last.find("3.0 MiB / 4.0 MiB"), std::string::npos) << last;
    EXPECT_NE(last.find("Total 0 B in"), std::string::npos) << last;

    on(event(kind::bytes, "big.bin", size));
    d.done();
    last = last_draw(out.str());
    EXPECT_NE(last.find("4.0 MiB / 4.0 MiB"), std::string::npos) << last;
    EXPECT_NE(last.find("Total 1.0 MiB in"), std::string::npos) << last;
}

TEST(progress_display, on_a_terminal_the_bars_are_bounded) {
    std::ostringstream out;
    progress_display d(true, true, "Downloading", "Downloaded", out);
    const auto on = d.callback();
    constexpr std::size_t files = progress_display::max_bars + 24;
    for (std::size_t i = 0; i < files; ++i) {
        on(event(kind::started, "f" + std::to_string(i)));
    }
    d.done();
    const auto text = out.str();
    const auto last = last_draw(text);
    EXPECT_EQ(count(last, "Downloading "), progress_display::max_bars);
    EXPECT_NE(last.find("... and 24 more in flight\n"), std::string::npos);
}

TEST(progress_display, a_blob_is_said_to_end_once) {
    for (const bool tty : {false, true}) {
        std::ostringstream out;
        {
            progress_display d(tty, true, "Uploading", "Uploaded", out);
            const auto on = d.callback();
            on(event(kind::started, "a.txt"));
            on(event(kind::finished, "a.txt"));
            on(event(kind::exists, "a.txt"));  // the copy after the push finds it there
            d.done();
        }
        EXPECT_EQ(count(out.str(), "Uploaded    a.txt"), 1U) << tty;
        EXPECT_EQ(count(out.str(), "Exists"), 0U) << tty;
    }
}

TEST(progress_display, what_ended_is_said_even_when_the_command_fails_before_done) {
    std::ostringstream out;
    {
        progress_display d(true, true, "Downloading", "Downloaded", out);
        const auto on = d.callback();
        on(event(kind::started, "a.txt"));   // drawn: the first draw is never held back
        on(event(kind::finished, "a.txt"));  // within 100 ms: held for the next draw
        // ... the command fails here: done() is not called.
    }
    EXPECT_EQ(count(out.str(), "Downloaded  a.txt  4.0 KiB\n"), 1U);
}

TEST(progress_display, one_title_with_two_digests_is_two_blobs) {
    // `cp` of an index whose two platforms each have a layer titled "a.txt".
    for (const bool tty : {false, true}) {
        std::ostringstream out;
        {
            progress_display d(tty, true, "Copying", "Copied", out);
            const auto on = d.callback();
            auto amd64 = event(kind::started, "a.txt", 2048);
            amd64.desc.digest = oras::digest::of("amd64");
            auto arm64 = event(kind::started, "a.txt", 1024);
            arm64.desc.digest = oras::digest::of("arm64");
            on(amd64);
            on(arm64);
            amd64.what = arm64.what = kind::finished;
            on(arm64);
            on(amd64);
            d.done();
        }
        EXPECT_EQ(count(out.str(), "Copied      a.txt  2.0 KiB\n"), 1U) << tty;
        EXPECT_EQ(count(out.str(), "Copied      a.txt  1.0 KiB\n"), 1U) << tty;
    }
}

TEST(progress_display, a_file_named_before_its_digest_is_known_keeps_its_row) {
    // A push reports a file as started while it is hashed, then finished with its digest.
    std::ostringstream out;
    {
        progress_display d(false, true, "Uploading", "Uploaded", out);
        const auto on = d.callback();
        on(event(kind::started, "a.txt"));
        auto done = event(kind::finished, "a.txt");
        done.desc.digest = oras::digest::of("a");
        on(done);
        on(event(kind::exists, "a.txt"));
        d.done();
    }
    EXPECT_EQ(out.str(), "Uploaded    a.txt  4.0 KiB\n");
}

TEST(progress_display, elsewhere_one_line_per_ended_blob) {
    std::ostringstream out;
    progress_display d(false, true, "Uploading", "Uploaded", out);
    const auto on = d.callback();
    on(event(kind::started, "a.txt"));
    on(event(kind::bytes, "a.txt"));
    on(event(kind::finished, "a.txt"));
    on(event(kind::exists, "b.txt", 2048));
    d.done();
    EXPECT_EQ(out.str(), "Uploaded    a.txt  4.0 KiB\nExists      b.txt  2.0 KiB\n");
}

}  // namespace

// --pretty as oras prints it (Go's json.Indent): whitespace changes, tokens stay as written.
TEST(json_display, indented_keeps_every_token_as_written) {
    EXPECT_EQ(oras::cli::indented(R"({"a":[1,{}],"b":"x\u003c\"y","c":[], "d" : 1.0e2})"),
              "{\n  \"a\": [\n    1,\n    {}\n  ],\n  \"b\": \"x\\u003c\\\"y\",\n  \"c\": [],\n"
              "  \"d\": 1.0e2\n}\n");
    EXPECT_EQ(oras::cli::indented("[[1],[]]"), "[\n  [\n    1\n  ],\n  []\n]\n");
    EXPECT_EQ(oras::cli::indented("not json {"), "not json {");
}

// A descriptor as oras marshals Go's ocispec.Descriptor: every field, in its order.
TEST(json_display, a_descriptor_has_every_field_in_gos_order) {
    oras::descriptor d;
    d.media_type = "application/vnd.oci.image.manifest.v1+json";
    d.digest = oras::digest::of("m");
    d.size = 7;
    d.artifact_type = "application/vnd.example";
    d.annotations = {{"k", "v"}};
    d.urls = {"https://example.com/m"};
    d.data = "bQ==";
    d.platform = oras::platform{"arm64", "linux", "", {}, "v8"};
    std::ostringstream out;
    oras::cli::print_descriptor(out, d, false);
    EXPECT_EQ(out.str(),
              R"({"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":")"
                  + d.digest.str()
                  + R"(","size":7,"urls":["https://example.com/m"],"annotations":{"k":"v"},)"
                    R"("data":"bQ==","platform":{"architecture":"arm64","os":"linux",)"
                    R"("variant":"v8"},"artifactType":"application/vnd.example"})");
}

namespace {

// oras's humanize.ToBytes cases (bytes_test.go), printed as its String() prints them.
TEST(oras_size, as_oras_prints_an_archive_size) {
    using oras::cli::oras_size;
    EXPECT_EQ(oras_size(0), "0  B");
    EXPECT_EQ(oras_size(1023), "1023  B");
    EXPECT_EQ(oras_size(1024), "1 KB");
    EXPECT_EQ(oras_size(1024 + 512), "1.5 KB");
    EXPECT_EQ(oras_size(1024 * 25 / 2), "12.5 KB");
    EXPECT_EQ(oras_size(1024 * 1025 / 2), "513 KB");
    EXPECT_EQ(oras_size(1024 * 1024), "1 MB");
    EXPECT_EQ(oras_size(1024ull * 1024 * 1024), "1 GB");
    EXPECT_EQ(oras_size(1024ull * 1024 * 1024 * 1024), "1 TB");
    EXPECT_EQ(oras_size(1024ull * 1024 * 1024 * 1024 * 2048), "2048 TB");
    EXPECT_EQ(oras_size(1253), "1.22 KB");  // 1.2236..., to two digits
}

}  // namespace
