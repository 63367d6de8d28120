#include <oras/errc.hpp>
#include <oras/error.hpp>

#include <gtest/gtest.h>

namespace {

TEST(errc, codes_have_a_category_and_messages) {
    std::error_code ec = oras::errc::digest_mismatch;
    EXPECT_EQ(ec.category().name(), std::string("oras"));
    EXPECT_EQ(ec.message(), "digest mismatch");
    EXPECT_EQ(ec, oras::errc::digest_mismatch);
    EXPECT_NE(ec, oras::errc::size_mismatch);
    EXPECT_TRUE(ec);
    for (int i = 1; i <= static_cast<int>(oras::errc::cancelled); ++i) {
        EXPECT_EQ(std::error_code(i, oras::oras_category()).message().rfind("unknown", 0),
                  std::string::npos)
            << i;
    }
}

TEST(errc, distribution_spec_codes_map_onto_errc) {
    using oras::errc;
    const std::pair<const char*, errc> table[] = {
        {"BLOB_UNKNOWN", errc::not_found},
        {"BLOB_UPLOAD_INVALID", errc::upload_invalid},
        {"BLOB_UPLOAD_UNKNOWN", errc::upload_unknown},
        {"DIGEST_INVALID", errc::digest_mismatch},
        {"MANIFEST_BLOB_UNKNOWN", errc::manifest_blob_unknown},
        {"MANIFEST_INVALID", errc::invalid_manifest},
        {"MANIFEST_UNKNOWN", errc::not_found},
        {"NAME_INVALID", errc::invalid_reference},
        {"NAME_UNKNOWN", errc::not_found},
        {"SIZE_INVALID", errc::size_mismatch},
        {"UNAUTHORIZED", errc::unauthorized},
        {"DENIED", errc::denied},
        {"UNSUPPORTED", errc::unsupported},
        {"TOOMANYREQUESTS", errc::too_many_requests},
    };
    for (const auto& [code, want] : table) {
        EXPECT_EQ(oras::errc_from_registry_code(code), want) << code;
    }
    EXPECT_FALSE(oras::errc_from_registry_code("blob_unknown"));
    EXPECT_FALSE(oras::errc_from_registry_code("SOMETHING_NEW"));
}

TEST(errc, statuses_map_onto_errc) {
    EXPECT_EQ(oras::errc_from_status(401), oras::errc::unauthorized);
    EXPECT_EQ(oras::errc_from_status(403), oras::errc::denied);
    EXPECT_EQ(oras::errc_from_status(404), oras::errc::not_found);
    EXPECT_EQ(oras::errc_from_status(416), oras::errc::range_not_satisfiable);
    EXPECT_EQ(oras::errc_from_status(429), oras::errc::too_many_requests);
    EXPECT_EQ(oras::errc_from_status(502), oras::errc::unavailable);
    EXPECT_EQ(oras::errc_from_status(418), oras::errc::unexpected_status);
    EXPECT_EQ(oras::errc_from_status(200), oras::errc::unexpected_status);
}

TEST(error, is_a_system_error_with_diagnostics) {
    oras::diagnostics d;
    d.method = "GET";
    d.status = 404;
    d.url = "https://r.example/v2/x/manifests/v1";
    d.errors = {{"MANIFEST_UNKNOWN", "manifest unknown", ""}};
    try {
        throw oras::error(oras::errc::not_found, "r.example/x:v1", d);
    } catch (const std::system_error& e) {
        EXPECT_EQ(e.code(), oras::errc::not_found);
        const std::string what = e.what();
        EXPECT_NE(what.find("r.example/x:v1"), std::string::npos) << what;
        EXPECT_NE(what.find("GET https://r.example/v2/x/manifests/v1 -> 404: MANIFEST_UNKNOWN: "
                            "manifest unknown"),
                  std::string::npos)
            << what;
        EXPECT_NE(what.find("not found"), std::string::npos) << what;
        const auto* oe = dynamic_cast<const oras::error*>(&e);
        ASSERT_NE(oe, nullptr);
        EXPECT_EQ(oe->diag().status, 404u);
        oras::error copy = *oe;  // shares the diagnostics
        EXPECT_EQ(&copy.diag(), &oe->diag());
    }
}

}  // namespace
