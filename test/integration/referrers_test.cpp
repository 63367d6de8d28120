// Referrers against the real registry (distribution 2.8.2, which has no referrers API): pushing
// manifests with a subject maintains the tag-schema fallback index, listing reads it (filtered
// by artifact type), deleting a referrer removes it, and concurrent pushes lose nothing; in
// anonymous and token modes.
#include <oras/error.hpp>
#include <oras/image_manifest.hpp>
#include <oras/media_type.hpp>
#include <oras/registry/repository.hpp>
#include <oras/test/files.hpp>
#include <oras/test/registry_process.hpp>
#include <oras/test/run.hpp>

#include <gtest/gtest.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include <algorithm>
#include <future>
#include <string>
#include <vector>

namespace {

namespace asio = boost::asio;
using oras::descriptor;
using oras::test::auth_mode;
using oras::test::describe;
using oras::test::registry_process;
using oras::test::run;

struct fixture {
    fixture(const registry_process& reg, std::string name, bool with_credentials) {
        oras::http::client_options o;
        o.proxy.from_environment = false;
        o.tls.ca_file = reg.ca_file();
        oras::auth::client_options a;
        if (with_credentials) {
            a.credentials = std::make_shared<oras::auth::static_credentials>(
                reg.host(), oras::auth::credential{"alice", "alice-secret", "", ""});
        }
        auth.emplace(oras::http::client(io.get_executor(), o), a);
        repo.emplace(*auth, reg.host(), name,
                     oras::registry::repository_options{.force_https = reg.tls()});
    }

    template <class T>
    T operator()(asio::awaitable<T> a) {
        return run(io, std::move(a));
    }

    /// Requests sent to the registry itself so far (not to the token service, no retries).
    std::size_t registry_requests() {
        const auto h = auth->http().stats();
        const auto a = auth->stats();
        return h.requests_sent - h.retries - a.token_requests - a.retried - a.discoveries;
    }

    asio::io_context io;
    std::optional<oras::auth::client> auth;
    std::optional<oras::registry::repository> repo;
};

/// Pushes the empty config and an image tagged v1; returns the image's descriptor.
descriptor push_subject(fixture& f) {
    f(f.repo->push_blob(oras::empty_json_descriptor(), oras::byte_source::from_string("{}")));
    const std::string layer_data = "subject layer";
    const auto layer = describe(layer_data, std::string(oras::media_type::image_layer));
    f(f.repo->push_blob(layer, oras::byte_source::from_string(layer_data)));
    oras::image_manifest m;
    m.media_type = std::string(oras::media_type::image_manifest);
    m.config = oras::empty_json_descriptor();
    m.layers = {layer};
    return f(f.repo->push_manifest(m.media_type, m.serialize(), "v1"));
}

/// An artifact manifest (image-spec 1.1 style: an image manifest with artifactType and the
/// empty config) referring to `subject`.
std::string referrer_bytes(const descriptor& subject, std::string artifact_type,
                           oras::annotations annotations) {
    oras::image_manifest m;
    m.media_type = std::string(oras::media_type::image_manifest);
    m.artifact_type = std::move(artifact_type);
    m.config = oras::empty_json_descriptor();
    m.layers = {oras::empty_json_descriptor()};
    auto s = subject;
    s.annotations.clear();
    s.artifact_type.clear();
    m.subject = s;
    m.annotations = std::move(annotations);
    return m.serialize();
}

descriptor push_referrer(fixture& f, const descriptor& subject, std::string artifact_type,
                         oras::annotations annotations = {}) {
    return f(f.repo->push_manifest(
        std::string(oras::media_type::image_manifest),
        referrer_bytes(subject, std::move(artifact_type), std::move(annotations))));
}

std::string fallback_tag(const descriptor& subject) {
    return "sha256-" + std::string(subject.digest.encoded());
}

bool has_tag(fixture& f, const std::string& tag) {
    const auto tags = f(f.repo->tags());
    return std::find(tags.begin(), tags.end(), tag) != tags.end();
}

const descriptor* find(const std::vector<descriptor>& list, const descriptor& d) {
    const auto it = std::find_if(list.begin(), list.end(),
                                 [&](const descriptor& x) { return x.digest == d.digest; });
    return it == list.end() ? nullptr : &*it;
}

void referrers_round_trip(const registry_process& reg, bool with_credentials) {
    fixture f(reg, "team/app", with_credentials);
    const auto subject = push_subject(f);
    EXPECT_TRUE(f(f.repo->referrers(subject.digest)).empty());

    const auto sbom =
        push_referrer(f, subject, "application/vnd.test.sbom", {{"org.example.format", "json"}});
    const auto sig = push_referrer(f, subject, "application/vnd.test.signature",
                                   {{"org.example.key", "k1"}, {"org.example.alg", "ed25519"}});

    const auto all = f(f.repo->referrers(subject.digest));
    ASSERT_EQ(all.size(), 2u);
    const auto* listed_sbom = find(all, sbom);
    const auto* listed_sig = find(all, sig);
    ASSERT_NE(listed_sbom, nullptr);
    ASSERT_NE(listed_sig, nullptr);
    EXPECT_EQ(listed_sbom->media_type, oras::media_type::image_manifest);
    EXPECT_EQ(listed_sbom->size, sbom.size);
    EXPECT_EQ(listed_sbom->artifact_type, "application/vnd.test.sbom");
    EXPECT_EQ(listed_sbom->annotations, (oras::annotations{{"org.example.format", "json"}}));
    EXPECT_EQ(listed_sig->artifact_type, "application/vnd.test.signature");
    EXPECT_EQ(listed_sig->annotation("org.example.key"), "k1");
    EXPECT_EQ(listed_sig->annotation("org.example.alg"), "ed25519");

    const auto sboms = f(f.repo->referrers(subject.digest, "application/vnd.test.sbom"));
    ASSERT_EQ(sboms.size(), 1u);
    EXPECT_EQ(sboms[0].digest, sbom.digest);
    EXPECT_TRUE(f(f.repo->referrers(subject.digest, "application/vnd.test.none")).empty());

    // The registry has no referrers API: the fallback tag holds the list, and the repository
    // knows it (a listing is one request, the tag's GET, no probe of the API first).
    EXPECT_TRUE(has_tag(f, fallback_tag(subject)));
    const auto before = f.registry_requests();
    EXPECT_EQ(f(f.repo->referrers(subject.digest)).size(), 2u);
    EXPECT_EQ(f.registry_requests() - before, 1u);

    // The same referrer pushed again is listed once.
    push_referrer(f, subject, "application/vnd.test.sbom", {{"org.example.format", "json"}});
    EXPECT_EQ(f(f.repo->referrers(subject.digest)).size(), 2u);

    // Deleting a referrer removes it from the list; the last one takes the tag with it.
    f(f.repo->delete_manifest(sig.digest));
    const auto left = f(f.repo->referrers(subject.digest));
    ASSERT_EQ(left.size(), 1u);
    EXPECT_EQ(left[0].digest, sbom.digest);
    f(f.repo->delete_manifest(sbom.digest));
    EXPECT_TRUE(f(f.repo->referrers(subject.digest)).empty());
    EXPECT_FALSE(has_tag(f, fallback_tag(subject)));
    // The subject itself is untouched.
    EXPECT_EQ(f(f.repo->resolve("v1")).digest, subject.digest);
}

TEST(referrers, round_trip_anonymous) {
    registry_process reg;
    referrers_round_trip(reg, false);
}

TEST(referrers, round_trip_with_tokens) {
    registry_process reg({.auth = auth_mode::token});
    referrers_round_trip(reg, true);
}

TEST(referrers, a_manifest_without_artifact_type_is_listed_with_its_config_type) {
    registry_process reg;
    fixture f(reg, "app", false);
    const auto subject = push_subject(f);
    // The empty config's bytes under another media type.
    auto config = describe("{}", "application/vnd.test.config");
    oras::image_manifest m;
    m.media_type = std::string(oras::media_type::image_manifest);
    m.config = config;
    m.layers = {oras::empty_json_descriptor()};
    m.subject = subject;
    const auto pushed = f(f.repo->push_manifest(m.media_type, m.serialize()));
    const auto listed = f(f.repo->referrers(subject.digest, "application/vnd.test.config"));
    ASSERT_EQ(listed.size(), 1u);
    EXPECT_EQ(listed[0].digest, pushed.digest);
    EXPECT_EQ(listed[0].artifact_type, "application/vnd.test.config");
}

TEST(referrers, a_subject_without_referrers_in_a_missing_repository_has_none) {
    registry_process reg;
    fixture f(reg, "never/pushed", false);
    EXPECT_TRUE(f(f.repo->referrers(describe("x", "y").digest)).empty());
}

void concurrent_pushes(const registry_process& reg, bool with_credentials) {
    fixture f(reg, "team/concurrent", with_credentials);
    const auto subject = push_subject(f);
    constexpr int n = 5;
    std::vector<std::string> bytes;
    std::vector<std::future<descriptor>> pushes;
    for (int i = 0; i < n; ++i) {
        bytes.push_back(referrer_bytes(subject, "application/vnd.test.sig",
                                       {{"org.example.n", std::to_string(i)}}));
    }
    for (int i = 0; i < n; ++i) {
        pushes.push_back(f.repo->async_push_manifest(std::string(oras::media_type::image_manifest),
                                                     bytes[static_cast<std::size_t>(i)], "",
                                                     asio::use_future));
    }
    f.io.restart();
    f.io.run();
    std::vector<descriptor> pushed;
    for (auto& p : pushes) {
        pushed.push_back(p.get());
    }
    const auto listed = f(f.repo->referrers(subject.digest));
    EXPECT_EQ(listed.size(), pushed.size());
    for (const auto& d : pushed) {
        EXPECT_NE(find(listed, d), nullptr) << d.digest.str() << " was lost";
    }
    // Deleting them concurrently as well leaves nothing listed.
    std::vector<std::future<void>> deletes;
    for (const auto& d : pushed) {
        deletes.push_back(
            asio::co_spawn(f.io, f.repo->delete_manifest(d.digest), asio::use_future));
    }
    f.io.restart();
    f.io.run();
    for (auto& d : deletes) {
        d.get();
    }
    EXPECT_TRUE(f(f.repo->referrers(subject.digest)).empty());
}

TEST(referrers, concurrent_pushes_of_one_subject_are_all_listed_anonymous) {
    registry_process reg;
    concurrent_pushes(reg, false);
}

TEST(referrers, concurrent_pushes_of_one_subject_are_all_listed_with_tokens) {
    registry_process reg({.auth = auth_mode::token});
    concurrent_pushes(reg, true);
}

}  // namespace
