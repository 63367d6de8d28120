// discover's tree: a node cut by the depth limit is marked only when asked (the default limit),
// never for a depth the user chose, as the ORAS CLI draws it.
#include "cli/display/tree.hpp"

#include <oras/digest.hpp>
#include <oras/media_type.hpp>

#include <gtest/gtest.h>

#include <sstream>
#include <string>

namespace {

oras::descriptor manifest_named(const std::string& name) {
    oras::descriptor d;
    d.media_type = std::string(oras::media_type::image_manifest);
    d.digest = oras::digest::of(name);
    d.size = 10;
    d.artifact_type = "application/vnd.test.sig";
    return d;
}

std::string drawn(const oras::ops::discover_result& r, bool mark_depth_limit) {
    std::ostringstream out;
    oras::cli::print_tree(out, "reg.example/repo", r, false, mark_depth_limit);
    return out.str();
}

TEST(discover_tree, a_cut_is_marked_only_when_asked) {
    oras::ops::discover_result r;
    r.subject = manifest_named("subject");
    oras::ops::referrer_node cut;
    cut.desc = manifest_named("sig");
    cut.truncated = true;
    r.referrers = {cut};
    const auto sig = cut.desc.digest.str();
    const std::string expected_head = "reg.example/repo@" + r.subject.digest.str() + "\n"
                                      + "└── application/vnd.test.sig\n    └── " + sig;
    EXPECT_EQ(drawn(r, false), expected_head + "\n");
    EXPECT_EQ(drawn(r, true), expected_head + " (depth limit: referrers below not listed)\n");
}

// Annotations as oras writes them, each through go-yaml's yaml.Marshal: plain when the text
// reads back as itself, double-quoted when plain it would read as another type, single-quoted
// when YAML syntax would begin in it. Keys too: `n` would read as a bool.
TEST(discover_tree, annotations_are_written_as_go_yaml_writes_strings) {
    oras::ops::discover_result r;
    r.subject = manifest_named("subject");
    oras::ops::referrer_node n;
    n.desc = manifest_named("sig");
    n.desc.annotations = {{"a", "alice"},
                          {"b", "2026-12-07T10:48:58Z"},
                          {"c", "true"},
                          {"d", "1.0"},
                          {"e", "x: y"},
                          {"f", "it's"},
                          {"g", "-x"},
                          {"h", "-"},
                          {"i", ""},
                          {"j", "v1.0"},
                          {"k", "0x1F"},
                          {"l", "yes"},
                          {"m", "a #b"},
                          {"n", "#b"},
                          {"o", "1:30"},
                          {"p", "2026-12-07"},
                          {"q", "https://x/y"},
                          {"r", " lead"},
                          {"s", "don't: x"},
                          {"t", "4e51234"},
                          {"u", "2024-13-01"},
                          {"v", "_1"},
                          {"w", "---x"},
                          {"x", "<<"},
                          {"y1", "0xFFFFFFFFFFFFFFFFF"},
                          {"z", "2024-02-29"},
                          {"z1", "2023-02-29"},
                          {"z2", "1234e56"},
                          {"z3", std::string(100000, '7')}};
    r.referrers = {n};
    std::ostringstream out;
    oras::cli::print_tree(out, "reg.example/repo", r, true, false);
    const std::vector<std::string> expected = {
        "a: alice", "b: \"2026-12-07T10:48:58Z\"", "c: \"true\"", "d: \"1.0\"", "e: 'x: y'",
        "f: it's", "g: -x", "h: '-'", "i: \"\"", "j: v1.0", "k: \"0x1F\"", "l: \"yes\"",
        "m: 'a #b'", "\"n\": '#b'", "o: \"1:30\"", "p: \"2026-12-07\"", "q: https://x/y",
        "r: ' lead'", "s: 'don''t: x'",
        "t: 4e51234",  // beyond a float: a string
        "u: 2024-13-01", "v: _1", "w: '---x'", "x: <<", "y1: 0xFFFFFFFFFFFFFFFFF",
        "z: \"2024-02-29\"", "z1: 2023-02-29", "z2: \"1234e56\"",
        // cut for the terminal, with no deep recursion
        "z3: " + std::string(4096, '7') + "..."};
    for (const auto& e : expected) {
        EXPECT_NE(out.str().find("── " + e + "\n"), std::string::npos) << e << "\n" << out.str();
    }
}

}  // namespace
