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

}  // namespace
