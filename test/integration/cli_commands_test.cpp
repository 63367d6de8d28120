// The ORAS command line beyond push and pull — attach, discover, tag, resolve, repo, manifest and
// blob — against a real registry (anonymous and htpasswd), an OCI layout, and skopeo: outputs
// parsed, registry state checked over HTTP, bad input failing with one line and nothing left.
#include "cli_sandbox.hpp"

#include <gtest/gtest-spi.h>

#include <oras/test/process.hpp>

#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace {

using namespace oras::cli_test;

const std::string alice = "alice";
const std::string alice_password = "alice-secret";

/// An HTTP request to the registry's API, authenticated in basic mode.
oras::test::http_response api(const registry_process& reg, const std::string& method,
                              const std::string& path) {
    oras::test::request_options o;
    o.ca_file = reg.ca_file();
    if (reg.options().auth == auth_mode::basic) {
        o.headers.emplace_back("Authorization", oras::test::basic_auth(alice, alice_password));
    }
    o.headers.emplace_back("Accept",
                           "application/vnd.oci.image.manifest.v1+json, "
                           "application/vnd.oci.image.index.v1+json");
    return oras::test::http_request(method, reg.base_url() + path, o);
}

std::vector<std::string> listed_tags(const registry_process& reg, const std::string& repo) {
    const auto r = api(reg, "GET", "/v2/" + repo + "/tags/list");
    std::vector<std::string> out;
    if (r.status != 200) {
        return out;
    }
    const auto v = json::parse(r.body);
    if (const auto* tags = v.as_object().if_contains("tags"); tags && tags->is_array()) {
        for (const auto& t : tags->as_array()) {
            out.push_back(str(t));
        }
    }
    std::sort(out.begin(), out.end());
    return out;
}

std::vector<std::string> lines(const std::string& text) {
    std::vector<std::string> out;
    std::size_t start = 0;
    for (auto nl = text.find('\n'); nl != std::string::npos; nl = text.find('\n', start)) {
        out.push_back(text.substr(start, nl - start));
        start = nl + 1;
    }
    return out;
}

/// Runs oras-cpp with `auth` appended (flags of the remote, or nothing).
struct cli {
    const sandbox& s;
    std::vector<std::string> auth;

    process_result operator()(std::vector<std::string> args, std::string_view input = {}) const {
        args.insert(args.end(), auth.begin(), auth.end());
        return s.oras(args, input);
    }
};

/// Everything a user does after a push, on one registry: referrers (two levels), tags,
/// resolve, listings, manifests and blobs, checked against what the registry holds.
void commands_round_trip(const registry_process& reg, const std::vector<std::string>& auth) {
    sandbox s;
    cli oras{s, auth};
    write_file(s.work / "hi.txt", "hello, oras\n");
    write_file(s.work / "sig.txt", "signature bytes\n");
    write_file(s.work / "sbom.json", R"({"sbom":true})");
    const std::string repo = "cmd/hello";
    const std::string ref = reg.host() + "/" + repo;
    ASSERT_OK(oras({"push", ref + ":v1", "hi.txt", "--no-tty"}));

    // resolve
    auto r = oras({"resolve", ref + ":v1"});
    ASSERT_OK(r);
    const auto subject = trimmed(r.out);
    ASSERT_TRUE(subject.starts_with("sha256:")) << r.out;
    r = oras({"resolve", "-l", ref + ":v1"});
    ASSERT_OK(r);
    EXPECT_EQ(trimmed(r.out), ref + "@" + subject);

    // attach: a signature with an annotation, then an SBOM of the signature (two levels).
    r = oras({"attach", "--artifact-type", "application/vnd.test.sig", ref + ":v1", "sig.txt", "-a",
              "org.example.signer=alice", "--format", "json", "--no-tty"});
    ASSERT_OK(r);
    const auto sig = parse_object(r.out);
    const auto sig_digest = str(sig.at("digest"));
    EXPECT_EQ(str(sig.at("reference")), ref + "@" + sig_digest);
    EXPECT_EQ(str(sig.at("artifactType")), "application/vnd.test.sig");
    EXPECT_EQ(str(sig.at("annotations").at("org.example.signer")), "alice");
    r = oras({"attach", "--artifact-type", "application/vnd.test.sbom", ref + "@" + sig_digest,
              "sbom.json:application/json", "--export-manifest",
              (s.scratch / "sbom-manifest.json").string(), "--no-tty"});
    ASSERT_OK(r);
    EXPECT_NE(r.out.find("Attached to [registry] " + ref + "@" + sig_digest), std::string::npos)
        << r.out;
    const auto exported = read_file(s.scratch / "sbom-manifest.json");
    const auto sbom_digest = oras::digest::of(exported).str();
    EXPECT_NE(r.out.find("Digest: " + sbom_digest), std::string::npos) << r.out;
    EXPECT_EQ(str(parse_object(exported).at("subject").at("digest")), sig_digest);

    // distribution has no referrers API: the fallback tag index holds the referrer.
    const auto fallback_tag = "sha256-" + subject.substr(7);
    EXPECT_EQ(api(reg, "GET", "/v2/" + repo + "/manifests/" + fallback_tag).status, 200u);

    // discover: the tree as JSON, two levels; a depth of 1; a filter.
    r = oras({"discover", ref + ":v1", "--format", "json"});
    ASSERT_OK(r);
    auto tree = parse_object(r.out);
    EXPECT_EQ(str(tree.at("digest")), subject);
    ASSERT_EQ(tree.at("referrers").as_array().size(), 1u) << r.out;
    const auto& level1 = tree.at("referrers").as_array()[0].as_object();
    EXPECT_EQ(str(level1.at("digest")), sig_digest);
    ASSERT_EQ(level1.at("referrers").as_array().size(), 1u) << r.out;
    EXPECT_EQ(str(level1.at("referrers").as_array()[0].at("digest")), sbom_digest);
    EXPECT_EQ(str(level1.at("referrers").as_array()[0].at("artifactType")),
              "application/vnd.test.sbom");

    r = oras({"discover", ref + ":v1", "--format", "json", "--depth", "1"});
    ASSERT_OK(r);
    tree = parse_object(r.out);
    EXPECT_TRUE(tree.at("referrers").as_array()[0].at("referrers").as_array().empty()) << r.out;

    r = oras({"discover", ref + ":v1", "--artifact-type", "application/vnd.test.none", "--format",
              "json"});
    ASSERT_OK(r);
    EXPECT_TRUE(parse_object(r.out).at("referrers").as_array().empty()) << r.out;

    r = oras({"discover", ref + ":v1"});
    ASSERT_OK(r);
    EXPECT_EQ(lines(r.out).front(), ref + "@" + subject);
    EXPECT_NE(r.out.find("└── application/vnd.test.sig\n    └── " + sig_digest), std::string::npos)
        << r.out;
    // As oras writes annotations (yaml.Marshal): plain unless quoting is needed, as for a
    // timestamp.
    EXPECT_NE(r.out.find("org.example.signer: alice\n"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("org.opencontainers.image.created: \"20"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("application/vnd.test.sbom"), std::string::npos) << r.out;
    // The depth asked for cuts the tree without a mark on every node it cut, as oras draws it.
    r = oras({"discover", ref + ":v1", "--depth", "1"});
    ASSERT_OK(r);
    EXPECT_NE(r.out.find("    └── " + sig_digest + "\n"), std::string::npos) << r.out;
    EXPECT_EQ(r.out.find("application/vnd.test.sbom"), std::string::npos) << r.out;
    EXPECT_EQ(r.out.find("depth limit"), std::string::npos) << r.out;

    r = oras({"discover", ref + ":v1", "--format", "table"});
    ASSERT_OK(r);
    EXPECT_TRUE(r.err.starts_with(
        "Format \"table\" is deprecated and will be removed in a future release.\n"))
        << r.err;
    EXPECT_NE(r.out.find("Discovered 1 artifact referencing " + ref + ":v1"), std::string::npos)
        << r.out;
    // oras v1.3: each referrer's descriptor under its row, unless --verbose=false.
    EXPECT_NE(r.out.find(sig_digest + "\n{\n  \"mediaType\": "), std::string::npos) << r.out;
    r = oras({"discover", ref + ":v1", "--format", "table", "--verbose=false"});
    ASSERT_OK(r);
    EXPECT_TRUE(r.out.ends_with(sig_digest + "\n")) << r.out;

    // tag: two more tags, seen by the registry.
    r = oras({"tag", ref + ":v1", "v2", "latest"});
    ASSERT_OK(r);
    EXPECT_EQ(r.out, "Tagging [registry] " + ref + "@" + subject + "\nTagged v2\nTagged latest\n");
    // The signature's own fallback index (it has a referrer, the SBOM) sorts before or after.
    std::vector<std::string> all = {"latest", fallback_tag, "sha256-" + sig_digest.substr(7), "v1",
                                    "v2"};
    std::sort(all.begin(), all.end());
    EXPECT_EQ(listed_tags(reg, repo), all);

    // repo tags: all, without digest tags, after a tag, as JSON.
    r = oras({"repo", "tags", ref});
    ASSERT_OK(r);
    auto got = lines(r.out);
    std::sort(got.begin(), got.end());
    EXPECT_EQ(got, all);
    r = oras({"repo", "tags", "--exclude-digest-tags", ref});
    ASSERT_OK(r);
    got = lines(r.out);
    std::sort(got.begin(), got.end());
    EXPECT_EQ(got, (std::vector<std::string>{"latest", "v1", "v2"}));
    r = oras({"repo", "tags", "--last", "v1", "--format", "json", ref});
    ASSERT_OK(r);
    EXPECT_EQ(json::serialize(parse_object(r.out)), R"({"tags":["v2"]})");
    EXPECT_EQ(r.out, "{\n  \"tags\": [\n    \"v2\"\n  ]\n}\n");  // as oras: indented
    // A tag or digest: only the tags naming that manifest (the referrers' digest tags do not).
    for (const auto& named : {ref + ":v1", ref + "@" + subject}) {
        r = oras({"repo", "tags", named});
        ASSERT_OK(r);
        got = lines(r.out);
        std::sort(got.begin(), got.end());
        EXPECT_EQ(got, (std::vector<std::string>{"latest", "v1", "v2"})) << named;
        EXPECT_NE(r.err.find("querying tags associated to " + subject), std::string::npos) << r.err;
    }

    // repo ls: the registry, and a namespace (its prefix left out of the text form).
    ASSERT_OK(oras({"push", reg.host() + "/other:v1", "hi.txt", "--no-tty"}));
    r = oras({"repo", "ls", reg.host()});
    ASSERT_OK(r);
    EXPECT_EQ(r.out, "cmd/hello\nother\n");
    r = oras({"repo", "ls", reg.host() + "/cmd"});
    ASSERT_OK(r);
    EXPECT_EQ(r.out, "hello\n");
    r = oras({"repo", "ls", reg.host() + "/cmd", "--format", "json"});
    ASSERT_OK(r);
    EXPECT_EQ(json::serialize(parse_object(r.out)),
              R"({"registry":")" + reg.host() + R"(","repositories":["cmd/hello"]})");

    // manifest fetch: the exact bytes, the descriptor, a file, the config.
    const auto stored = api(reg, "GET", "/v2/" + repo + "/manifests/" + subject);
    r = oras({"manifest", "fetch", ref + ":v1"});
    ASSERT_OK(r);
    EXPECT_EQ(r.out, stored.body);
    EXPECT_EQ(oras::digest::of(r.out).str(), subject);
    r = oras({"manifest", "fetch", "--descriptor", ref + ":v2"});
    ASSERT_OK(r);
    auto desc = parse_object(r.out);
    EXPECT_EQ(str(desc.at("digest")), subject);
    EXPECT_EQ(desc.at("size").to_number<std::size_t>(), stored.body.size());
    ASSERT_OK(oras({"manifest", "fetch", "-o", (s.scratch / "m.json").string(), ref + ":v1"}));
    EXPECT_EQ(read_file(s.scratch / "m.json"), stored.body);
    r = oras({"manifest", "fetch", "--format", "json", ref + ":v1"});
    ASSERT_OK(r);
    EXPECT_EQ(str(parse_object(r.out).at("content").at("config").at("mediaType")),
              "application/vnd.oci.empty.v1+json");
    r = oras({"manifest", "fetch-config", ref + ":v1"});
    ASSERT_OK(r);
    EXPECT_EQ(r.out, "{}");
    r = oras({"manifest", "fetch", "--media-type", "application/vnd.oci.image.index.v1+json",
              ref + ":v1"});
    expect_error(r, ref + ":v1", "not application/vnd.oci.image.index.v1+json");
    // A comma-separated list, as oras's string-slice flag.
    r = oras({"manifest", "fetch", "--media-type",
              "application/vnd.oci.image.index.v1+json,application/vnd.oci.image.manifest.v1+json",
              ref + ":v1"});
    ASSERT_OK(r);
    EXPECT_EQ(r.out, stored.body);

    // manifest push: from a file under two tags, then from stdin by digest.
    r = oras({"manifest", "push", ref + ":copy1,copy2", (s.scratch / "m.json").string()});
    ASSERT_OK(r);
    EXPECT_NE(r.out.find("Pushed: [registry] " + ref + ":copy1\nTagged copy2\nDigest: " + subject),
              std::string::npos)
        << r.out;
    EXPECT_EQ(api(reg, "HEAD", "/v2/" + repo + "/manifests/copy2").status, 200u);
    // Stored under v1 already, but copy1 did not name it: sent, as oras does.
    const auto short_digest = subject.substr(7, 12);
    const std::string manifest_type = "application/vnd.oci.image.manifest.v1+json";
    EXPECT_TRUE(r.out.starts_with("Uploading " + short_digest + " " + manifest_type + "\nUploaded  "
                                  + short_digest + " " + manifest_type + "\nPushed: "))
        << r.out;
    // copy1 names it now: nothing sent for it (the registry's access log counts the PUTs it
    // took), the new tag still set.
    const auto copy1_puts = [&] {
        const auto log = reg.log();
        const std::string put = "PUT /v2/" + repo + "/manifests/copy1 HTTP/1.1\" 201";
        std::size_t n = 0;
        for (auto at = log.find(put); at != std::string::npos; at = log.find(put, at + 1)) {
            ++n;
        }
        return n;
    };
    const auto puts_before = copy1_puts();
    EXPECT_EQ(puts_before, 1u);
    r = oras({"manifest", "push", ref + ":copy1,copy6", (s.scratch / "m.json").string()});
    ASSERT_OK(r);
    EXPECT_TRUE(r.out.starts_with("Exists    ")) << r.out;
    EXPECT_EQ(copy1_puts(), puts_before);
    EXPECT_EQ(api(reg, "HEAD", "/v2/" + repo + "/manifests/copy6").status, 200u);
    // oras's example: tags set a few at once.
    r = oras({"manifest", "push", "--concurrency", "2", ref + ":copy3,copy4,copy5",
              (s.scratch / "m.json").string()});
    ASSERT_OK(r);
    for (const auto* t : {"copy3", "copy4", "copy5"}) {
        EXPECT_EQ(api(reg, "HEAD", "/v2/" + repo + "/manifests/" + t).status, 200u) << t;
    }
    r = oras({"manifest", "push", "--descriptor", ref + "@" + subject, "-"}, stored.body);
    ASSERT_OK(r);
    EXPECT_EQ(str(parse_object(r.out).at("digest")), subject);
    r = oras({"manifest", "push", ref + "@" + subject, "-"}, stored.body + " ");
    expect_error(r, ref + "@" + subject, "not " + subject);

    // blob push / fetch / delete.
    const std::string blob = "a blob of bytes\n";
    write_file(s.work / "blob.bin", blob);
    const auto blob_digest = oras::digest::of(blob).str();
    r = oras({"blob", "push", ref, "blob.bin"});
    ASSERT_OK(r);
    EXPECT_NE(r.out.find("Digest: " + blob_digest), std::string::npos) << r.out;
    EXPECT_TRUE(r.out.starts_with("Uploading " + blob_digest.substr(7, 12)
                                  + " application/vnd.oci.image.layer.v1.tar\nUploaded  "))
        << r.out;
    r = oras({"blob", "push", ref, "blob.bin"});
    ASSERT_OK(r);
    EXPECT_TRUE(r.out.starts_with("Exists    " + blob_digest.substr(7, 12)
                                  + " application/vnd.oci.image.layer.v1.tar\nPushed: "))
        << r.out;
    EXPECT_EQ(api(reg, "HEAD", "/v2/" + repo + "/blobs/" + blob_digest).status, 200u);
    r = oras({"blob", "push", "--size", std::to_string(blob.size()),
              reg.host() + "/cmd/stdin@" + blob_digest, "-", "--descriptor"},
             blob);
    ASSERT_OK(r);
    EXPECT_EQ(str(parse_object(r.out).at("digest")), blob_digest);
    EXPECT_EQ(api(reg, "HEAD", "/v2/cmd/stdin/blobs/" + blob_digest).status, 200u);
    ASSERT_OK(oras({"blob", "fetch", "-o", (s.scratch / "blob.out").string(),
                    ref + "@" + blob_digest, "--no-tty"}));
    EXPECT_EQ(read_file(s.scratch / "blob.out"), blob);
    r = oras({"blob", "fetch", "-o", "-", ref + "@" + blob_digest});
    ASSERT_OK(r);
    EXPECT_EQ(r.out, blob);
    r = oras({"blob", "fetch", "--descriptor", ref + "@" + blob_digest});
    ASSERT_OK(r);
    EXPECT_EQ(parse_object(r.out).at("size").to_number<std::size_t>(), blob.size());

    // Deletes: the answer read from stdin, terminal or not (as oras); any line but y or yes
    // cancels; no line at all is refused (a script that forgot -f); -f deletes without asking; a
    // second -f says Missing.
    r = oras({"blob", "delete", ref + "@" + blob_digest});
    expect_error(r, ref + "@" + blob_digest, "pass -f",
                 "Are you sure you want to delete the blob \"" + blob_digest + "\"? [y/N] \n");
    for (const std::string answer : {"\n", "n\n", "maybe"}) {
        r = oras({"blob", "delete", ref + "@" + blob_digest}, answer);
        ASSERT_OK(r);
        // On stdout, as oras prints them.
        EXPECT_TRUE(r.out.ends_with("? [y/N] Operation cancelled.\n")) << r.out;
        EXPECT_EQ(api(reg, "HEAD", "/v2/" + repo + "/blobs/" + blob_digest).status, 200u);
    }
    r = oras({"blob", "delete", ref + "@" + blob_digest}, "Y\n");  // `echo y | oras ...`
    ASSERT_OK(r);
    EXPECT_TRUE(r.out.starts_with("Are you sure you want to delete")) << r.out;
    EXPECT_TRUE(r.out.ends_with("? [y/N] Deleted [registry] " + ref + "@" + blob_digest + "\n"))
        << r.out;
    EXPECT_EQ(api(reg, "HEAD", "/v2/" + repo + "/blobs/" + blob_digest).status, 404u);
    r = oras({"blob", "delete", "-f", ref + "@" + blob_digest});
    ASSERT_OK(r);
    EXPECT_EQ(r.out, "Missing " + ref + "@" + blob_digest + "\n");
    r = oras({"blob", "delete", "--descriptor", ref + "@" + blob_digest});
    expect_error(r, ref + "@" + blob_digest, "--force");

    // A manifest delete by tag removes the manifest and every tag on it.
    r = oras({"manifest", "delete", ref + ":copy2"});
    expect_error(r, ref + ":copy2", "pass -f",
                 "Are you sure you want to delete the manifest \"" + subject
                     + "\" and all tags associated with it? [y/N] \n");
    r = oras({"manifest", "delete", ref + ":copy2"}, "no\n");
    ASSERT_OK(r);
    EXPECT_TRUE(r.out.ends_with("Operation cancelled.\n")) << r.out;
    EXPECT_EQ(api(reg, "HEAD", "/v2/" + repo + "/manifests/" + subject).status, 200u);
    r = oras({"manifest", "delete", "-f", "--descriptor", ref + ":copy2"});
    ASSERT_OK(r);
    EXPECT_EQ(str(parse_object(r.out).at("digest")), subject);
    EXPECT_EQ(api(reg, "HEAD", "/v2/" + repo + "/manifests/" + subject).status, 404u);
    for (const auto& t : {"v1", "v2", "latest", "copy1"}) {
        EXPECT_EQ(api(reg, "HEAD", "/v2/" + repo + "/manifests/" + t).status, 404u) << t;
    }
    r = oras({"manifest", "delete", "-f", ref + "@" + subject});
    ASSERT_OK(r);
    EXPECT_EQ(r.out, "Missing " + ref + "@" + subject + "\n");
}

TEST(cli_commands, round_trip_anonymous) {
    registry_process reg;
    commands_round_trip(reg, {});
}

TEST(cli_commands, round_trip_with_basic_auth) {
    registry_process reg({.auth = auth_mode::basic});
    commands_round_trip(reg, {"-u", alice, "-p", alice_password});
}

TEST(cli_commands, a_referrer_attached_is_listed_by_the_library_in_another_process) {
    registry_process reg;
    sandbox s;
    write_file(s.work / "hi.txt", "hi\n");
    const std::string ref = reg.host() + "/cmd/listed";
    ASSERT_OK(s.oras({"push", ref + ":v1", "hi.txt", "--no-tty"}));
    const auto r = s.oras({"attach", "--artifact-type", "application/vnd.test.note", ref + ":v1",
                           "-a", "note=yes", "--format", "json", "--no-tty"});
    ASSERT_OK(r);
    const auto referrer = str(parse_object(r.out).at("digest"));

    raw_repository raw(reg, "cmd/listed");
    const auto subject = oras::test::run(raw.io, raw.target->resolve("v1"));
    const auto listed = oras::test::run(raw.io, raw.target->repo().referrers(subject.digest));
    ASSERT_EQ(listed.size(), 1u);
    EXPECT_EQ(listed[0].digest.str(), referrer);
    EXPECT_EQ(listed[0].artifact_type, "application/vnd.test.note");
}

TEST(cli_commands, skopeo_sees_the_tags_that_tag_makes) {
    registry_process reg;
    sandbox s;
    write_file(s.work / "hi.txt", "hi\n");
    const std::string ref = reg.host() + "/cmd/skopeo";
    ASSERT_OK(s.oras({"push", ref + ":v1", "hi.txt", "--no-tty"}));
    ASSERT_OK(s.oras({"tag", ref + ":v1", "release"}));
    const auto digest = trimmed(s.oras({"resolve", ref + ":v1"}).out);
    const auto skopeo =
        oras::test::run_process({oras::test::find_executable("skopeo"), "inspect", "--raw",
                                 "--tls-verify=false", "docker://" + ref + ":release"},
                                {}, std::chrono::seconds{60});
    ASSERT_EQ(skopeo.exit_code, 0) << skopeo.err;
    EXPECT_EQ(oras::digest::of(skopeo.out).str(), digest);
}

TEST(cli_commands, platform_picks_one_manifest_of_an_index) {
    registry_process reg;
    sandbox s;
    const std::string ref = reg.host() + "/cmd/multi";
    const std::string config_type = ":application/vnd.oci.image.config.v1+json";
    json::array entries;
    std::map<std::string, std::string> digests;
    for (const auto* arch : {"amd64", "arm64"}) {
        write_file(s.work / (std::string(arch) + ".txt"), std::string("built for ") + arch);
        write_file(s.work / (std::string(arch) + ".json"),
                   std::string(R"({"os":"linux","architecture":")") + arch + R"("})");
        ASSERT_OK(s.oras({"push", ref + ":" + arch, std::string(arch) + ".txt", "--config",
                          std::string(arch) + ".json" + config_type, "--no-tty"}));
        const auto r = s.oras({"manifest", "fetch", "--descriptor", ref + ":" + arch});
        ASSERT_OK(r);
        auto entry = parse_object(r.out);
        digests[arch] = str(entry.at("digest"));
        entry["platform"] = json::object{{"os", "linux"}, {"architecture", arch}};
        entries.push_back(std::move(entry));
    }
    const json::object index{{"schemaVersion", 2},
                             {"mediaType", "application/vnd.oci.image.index.v1+json"},
                             {"manifests", entries}};
    write_file(s.work / "index.json", json::serialize(index));
    ASSERT_OK(s.oras({"manifest", "push", ref + ":multi", "index.json"}));

    auto r = s.oras({"resolve", "--platform", "linux/arm64", ref + ":multi"});
    ASSERT_OK(r);
    EXPECT_EQ(trimmed(r.out), digests["arm64"]);
    r = s.oras({"manifest", "fetch", "--descriptor", "--platform", "linux/amd64", ref + ":multi"});
    ASSERT_OK(r);
    EXPECT_EQ(str(parse_object(r.out).at("digest")), digests["amd64"]);
    // The index's entry, platform and all, as oras prints it.
    EXPECT_EQ(parse_object(r.out).at("platform"),
              (json::object{{"architecture", "amd64"}, {"os", "linux"}}));
    // Copied from the index's digest: shown by the digest copied, as oras corrects it.
    const auto index_digest = oras::digest::of(json::serialize(index)).str();
    r = s.oras({"cp", "--platform", "linux/arm64", ref + "@" + index_digest, ref + ":arm-only"});
    ASSERT_OK(r);
    EXPECT_NE(r.out.find("Copied [registry] " + ref + "@" + digests["arm64"] + " => [registry] "
                         + ref + ":arm-only"),
              std::string::npos)
        << r.out;
    r = s.oras({"manifest", "fetch-config", "--platform", "linux/arm64", ref + ":multi"});
    ASSERT_OK(r);
    EXPECT_EQ(r.out, R"({"os":"linux","architecture":"arm64"})");
    expect_error(s.oras({"manifest", "fetch-config", ref + ":multi"}), ref + ":multi",
                 "not an image manifest");

    const auto one = s.scratch / "one";
    ASSERT_OK(s.oras(
        {"pull", "--platform", "linux/arm64", ref + ":multi", "-o", one.string(), "--no-tty"}));
    EXPECT_EQ(read_file(one / "arm64.txt"), "built for arm64");
    EXPECT_FALSE(fs::exists(one / "amd64.txt"));
    const auto both = s.scratch / "both";
    ASSERT_OK(s.oras({"pull", ref + ":multi", "-o", both.string(), "--no-tty"}));
    EXPECT_TRUE(fs::exists(both / "arm64.txt"));
    EXPECT_TRUE(fs::exists(both / "amd64.txt"));
    const auto none = s.scratch / "none";
    expect_error(s.oras({"pull", "--platform", "windows/amd64", ref + ":multi", "-o", none.string(),
                         "--no-tty"}),
                 ref + ":multi", "no manifest for windows/amd64");
    EXPECT_TRUE(!fs::exists(none) || fs::is_empty(none));
}

TEST(cli_commands, bad_input_fails_with_one_line_and_leaves_nothing) {
    registry_process reg;
    sandbox s;
    write_file(s.work / "hi.txt", "hi\n");
    const std::string repo = "cmd/bad";
    const std::string ref = reg.host() + "/" + repo;
    ASSERT_OK(s.oras({"push", ref + ":v1", "hi.txt", "--no-tty"}));
    const auto before = listed_tags(reg, repo);

    // attach: no subject tag, a missing subject, nothing to attach.
    expect_error(s.oras({"attach", "--artifact-type", "a/b", ref, "hi.txt"}), ref, "tag or digest");
    expect_error(s.oras({"attach", "--artifact-type", "a/b", ref + ":missing", "hi.txt"}),
                 ref + ":missing", "");
    expect_error(s.oras({"attach", "--artifact-type", "a/b", ref + ":v1"}), ref + ":v1",
                 "at least one file or annotation");
    EXPECT_EQ(listed_tags(reg, repo), before);  // no fallback index was made

    // manifest push: not JSON, and a mediaType that disagrees: nothing sent.
    write_file(s.work / "bad.json", "this is not json");
    expect_error(s.oras({"manifest", "push", ref + ":bad", "bad.json"}), ref + ":bad",
                 "not a JSON object");
    write_file(
        s.work / "typed.json",
        R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[]})");
    expect_error(s.oras({"manifest", "push", "--media-type",
                         "application/vnd.oci.image.manifest.v1+json", ref + ":bad", "typed.json"}),
                 ref + ":bad", "is not");
    EXPECT_EQ(listed_tags(reg, repo), before);
    // A manifest type this tool does not know goes to the manifests endpoint all the same (as
    // oras sends it), never up as a blob: distribution refuses the type it does not know either.
    const std::string artifact_manifest =
        R"({"mediaType":"application/vnd.cncf.oras.artifact.manifest.v1+json",)"
        R"("artifactType":"a/b","blobs":[]})";
    write_file(s.work / "artifact.json", artifact_manifest);
    for (const auto& target : {ref, ref + ":old-artifact"}) {
        SCOPED_TRACE(target);
        const auto r = s.oras({"manifest", "push", "--media-type",
                               "application/vnd.cncf.oras.artifact.manifest.v1+json", target,
                               "artifact.json"});
        expect_error(r, target, "");
        EXPECT_NE(r.err.find("manifest"), std::string::npos) << dump(r);
        EXPECT_EQ(
            api(reg, "HEAD", "/v2/" + repo + "/blobs/" + oras::digest::of(artifact_manifest).str())
                .status,
            404u);
    }
    EXPECT_EQ(listed_tags(reg, repo), before);

    // bad digests and references.
    expect_error(s.oras({"blob", "fetch", "-o", "x", ref + "@sha256:nothex"}),
                 ref + "@sha256:nothex", "");
    expect_error(s.oras({"blob", "fetch", "-o", "x", ref}), ref, "by digest");
    expect_error(s.oras({"manifest", "fetch", ref}), ref, "tag or digest");
    expect_error(s.oras({"resolve", "not a reference"}), "not a reference", "");
    // Each command that needs a tag or digest says so, before any request.
    for (const auto& cmd :
         std::vector<std::vector<std::string>>{{"discover"},
                                               {"resolve"},
                                               {"tag", "--", "v2"},
                                               {"manifest", "fetch-config"},
                                               {"manifest", "delete", "-f"},
                                               {"blob", "delete", "-f"},
                                               {"pull"},
                                               {"attach", "--artifact-type", "a/b", "-a", "k=v"}}) {
        auto args = cmd;
        const auto dashes = std::find(args.begin(), args.end(), "--");
        if (dashes != args.end()) {
            *dashes = ref;  // the reference goes before the new tags
        } else {
            args.push_back(ref);
        }
        const auto r = s.oras(args);
        EXPECT_EQ(r.exit_code, 1) << cmd.front() << "\n" << dump(r);
        EXPECT_EQ(count_lines(r.err), 1u) << cmd.front() << "\n" << dump(r);
    }
    expect_error(s.oras({"repo", "tags", "bad//ref"}), "bad//ref", "");
    expect_error(s.oras({"repo", "ls", "bad host"}), "bad host", "");
    expect_error(s.oras({"repo", "ls", ref + ":v1"}), ref + ":v1", "not a tag or digest");
    expect_error(s.oras({"tag", ref + ":v1", "bad tag!"}), ref + ":v1", "");
    expect_error(s.oras({"blob", "push", "--size", "5", ref, "hi.txt"}), ref, "size");
    expect_error(s.oras({"blob", "push", ref, "-"}, "stdin bytes"), ref, "--size");
    const auto other = oras::digest::of(std::string_view("other")).str();
    expect_error(s.oras({"blob", "push", ref + "@" + other, "hi.txt"}), ref + "@" + other,
                 "digest");
    EXPECT_EQ(api(reg, "HEAD", "/v2/" + repo + "/blobs/" + other).status, 404u);
    // A failed push into a new layout leaves no layout behind.
    const auto fresh = (s.scratch / "fresh").string();
    expect_error(s.oras({"push", "--oci-layout", fresh + ":v1", "missing.txt"}), fresh + ":v1",
                 "missing.txt");
    expect_error(s.oras({"manifest", "push", "--oci-layout", fresh + ":v1", "bad.json"}),
                 fresh + ":v1", "not a JSON object");
    expect_error(s.oras({"blob", "push", "--oci-layout", fresh + "@" + other, "hi.txt"}),
                 fresh + "@" + other, "digest");
    EXPECT_FALSE(fs::exists(fresh));
    // Commands that change an existing layout do not create one.
    const auto no_layout = (s.scratch / "no-layout").string();
    for (const auto& cmd : std::vector<std::vector<std::string>>{
             {"tag", "--oci-layout", no_layout + ":v1", "v2"},
             {"attach", "--oci-layout", "--artifact-type", "a/b", no_layout + ":v1", "hi.txt"},
             {"manifest", "delete", "--oci-layout", "-f", no_layout + ":v1"}}) {
        expect_error(s.oras(cmd), no_layout + ":v1", "no OCI layout");
        EXPECT_FALSE(fs::exists(no_layout)) << cmd.front();
    }
    EXPECT_FALSE(fs::exists(s.work / "x"));

    // A blob served with wrong bytes: the fetch fails and leaves no file, not even a temporary.
    const auto m = parse_object(s.oras({"manifest", "fetch", ref + ":v1"}).out);
    const auto layer = str(m.at("layers").as_array()[0].at("digest"));
    const auto hex = layer.substr(7);
    const auto stored =
        reg.storage_dir() / "docker/registry/v2/blobs/sha256" / hex.substr(0, 2) / hex / "data";
    ASSERT_TRUE(fs::is_regular_file(stored));
    write_file(stored, "ho\n");  // same size, other bytes
    const auto out_dir = s.scratch / "out";
    fs::create_directories(out_dir);
    expect_error(s.oras({"blob", "fetch", "-o", (out_dir / "blob").string(), ref + "@" + layer}),
                 ref + "@" + layer, "digest");
    EXPECT_TRUE(fs::is_empty(out_dir));
}

TEST(cli_commands, debug_shows_requests_but_no_secrets) {
    registry_process reg({.auth = auth_mode::basic});
    sandbox s;
    write_file(s.work / "hi.txt", "hi\n");
    const std::string ref = reg.host() + "/cmd/debug";
    const auto r =
        s.oras({"push", "--debug", ref + ":v1", "hi.txt", "-u", alice, "-p", alice_password});
    ASSERT_OK(r);
    EXPECT_NE(r.err.find("[debug] PUT "), std::string::npos) << r.err;
    const auto basic = oras::test::basic_auth(alice, alice_password);
    for (const auto& secret : {alice_password, basic.substr(basic.find(' ') + 1)}) {
        EXPECT_EQ(r.err.find(secret), std::string::npos) << r.err;
        EXPECT_EQ(r.out.find(secret), std::string::npos) << r.out;
    }
}

TEST(cli_commands, resolve_dials_the_address_given_and_headers_are_logged_redacted) {
    registry_process reg;
    sandbox s;
    write_file(s.work / "hi.txt", "hi\n");
    ASSERT_OK(s.oras({"push", reg.host() + "/cmd/dial:v1", "hi.txt", "--no-tty"}));
    const auto direct = s.oras({"resolve", reg.host() + "/cmd/dial:v1"});
    ASSERT_OK(direct);

    // A name that never resolves (RFC 6761), reached only through --resolve.
    const std::string port = std::to_string(reg.port());
    const std::string alias = "registry.invalid:" + port;
    const auto r = s.oras({"resolve", "--plain-http", "--resolve", alias + ":127.0.0.1", "-H",
                           "X-Api-Key: k-secret-1", "--debug", alias + "/cmd/dial:v1"});
    ASSERT_OK(r);
    EXPECT_EQ(r.out, direct.out);
    EXPECT_NE(r.err.find("X-Api-Key: REDACTED"), std::string::npos) << r.err;
    EXPECT_EQ(r.err.find("k-secret-1"), std::string::npos) << r.err;
    // A later rule overrides an earlier one, as oras takes repeated --resolve flags.
    ASSERT_OK(s.oras({"resolve", "--plain-http", "--resolve", alias + ":127.0.0.1:1", "--resolve",
                      alias + ":127.0.0.1", alias + "/cmd/dial:v1"}));
    // cp: --resolve for both ends, each end's own after it. Two names for the one registry, so
    // that each end has its own client and its own rules; a rule that must lose points at a
    // closed port, which would fail at once.
    const std::string dest = "dest.invalid:" + port;
    ASSERT_OK(s.oras({"cp", "--from-plain-http", "--to-plain-http", "--resolve",
                      alias + ":127.0.0.1", "--resolve", dest + ":127.0.0.1",
                      alias + "/cmd/dial:v1", dest + "/cmd/dialed:v1"}));
    ASSERT_OK(s.oras({"cp", "--from-plain-http", "--to-plain-http", "--resolve",
                      alias + ":127.0.0.1:1", "--resolve", dest + ":127.0.0.1:1", "--from-resolve",
                      alias + ":127.0.0.1", "--to-resolve", dest + ":127.0.0.1",
                      alias + "/cmd/dial:v1", dest + "/cmd/dialed:v2"}));
    EXPECT_EQ(s.oras({"resolve", reg.host() + "/cmd/dialed:v2"}).out, direct.out);
    // The destination's own rule is the one it dials: pointed at the closed port, cp fails.
    const auto closed =
        s.oras({"cp", "--from-plain-http", "--to-plain-http", "--resolve", alias + ":127.0.0.1",
                "--resolve", dest + ":127.0.0.1", "--to-resolve", dest + ":127.0.0.1:1",
                alias + "/cmd/dial:v1", dest + "/cmd/dialed:v3"});
    EXPECT_EQ(closed.exit_code, 1) << dump(closed);

    const auto bad =
        s.oras({"resolve", "--resolve", "registry.invalid:x:127.0.0.1", alias + "/cmd/dial:v1"});
    EXPECT_EQ(bad.exit_code, 1);
    EXPECT_EQ(count_lines(bad.err), 1u) << bad.err;
    EXPECT_NE(bad.err.find("--resolve"), std::string::npos) << bad.err;
    const auto bad_header =
        s.oras({"resolve", "-H", "Authorization Bearer k-secret-2", alias + "/cmd/dial:v1"});
    EXPECT_EQ(bad_header.exit_code, 1);
    EXPECT_NE(bad_header.err.find("--header"), std::string::npos) << bad_header.err;
    EXPECT_EQ(bad_header.err.find("k-secret-2"), std::string::npos) << bad_header.err;
}

}  // namespace

namespace {

/// The index `oras manifest index create` makes, as Go marshals it: fields in declaration
/// order, entries as listed.
std::string expected_index(const std::vector<std::string>& entries, const std::string& extra = {}) {
    std::string out =
        R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json",)";
    out += extra.starts_with(R"("artifactType")") ? extra + "," : "";
    out += R"("manifests":[)";
    for (std::size_t i = 0; i < entries.size(); ++i) {
        out += (i ? "," : "") + entries[i];
    }
    out += "]";
    out += extra.starts_with(R"("annotations")") ? "," + extra : "";
    return out + "}";
}

std::string entry(const std::string& digest, const std::string& tail) {
    return R"({"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":")" + digest
           + R"(","size":)" + tail + "}";
}

}  // namespace

TEST(cli_commands, manifest_index_create_and_update_as_oras_does) {
    registry_process reg;
    sandbox s;
    const std::string ref = reg.host() + "/cmd/index";
    const std::string config_type = ":application/vnd.oci.image.config.v1+json";
    write_file(s.work / "a.txt", "same file, three platforms");
    write_file(s.work / "amd64.json", R"({"architecture":"amd64","os":"linux"})");
    write_file(s.work / "arm64.json",
               R"({"architecture":"arm64","os":"linux","variant":"v8","os.features":["f"]})");
    write_file(s.work / "noplat.json", R"({"architecture":5,"os":"linux"})");
    // Keys in another case: Go's json.Unmarshal matches them all the same.
    write_file(s.work / "upper.json", R"({"Architecture":"s390x","OS":"linux"})");
    std::map<std::string, std::string> digest, size;
    for (const auto* name : {"amd64", "arm64", "noplat", "upper"}) {
        ASSERT_OK(s.oras({"push", ref + ":" + name, "a.txt", "--config",
                          std::string(name) + ".json" + config_type, "--no-tty"}));
        const auto d =
            parse_object(s.oras({"manifest", "fetch", "--descriptor", ref + ":" + name}).out);
        digest[name] = str(d.at("digest"));
        size[name] = std::to_string(d.at("size").as_int64());
    }
    ASSERT_OK(s.oras({"push", "--artifact-type", "application/vnd.test.art", ref + ":art", "a.txt",
                      "--no-tty"}));
    const auto art = parse_object(s.oras({"manifest", "fetch", "--descriptor", ref + ":art"}).out);
    const std::string amd = entry(
        digest["amd64"], size["amd64"] + R"(,"platform":{"architecture":"amd64","os":"linux"})");
    const std::string arm = entry(
        digest["arm64"],
        size["arm64"]
            + R"(,"platform":{"architecture":"arm64","os":"linux","os.features":["f"],"variant":"v8"})");
    // A config member of the wrong type: oras's json.Unmarshal fails, so no platform.
    const std::string noplat = entry(digest["noplat"], size["noplat"]);
    const std::string upper = entry(
        digest["upper"], size["upper"] + R"(,"platform":{"architecture":"s390x","os":"linux"})");
    const std::string art_entry =
        entry(str(art.at("digest")), std::to_string(art.at("size").as_int64())
                                         + R"(,"artifactType":"application/vnd.test.art")");

    // create: status lines as oras prints them, the index byte for byte, every tag set.
    auto r = s.oras({"manifest", "index", "create", ref + ":v1,v1b", "amd64", digest["arm64"],
                     "noplat", "-a", "k=v"});
    ASSERT_OK(r);
    const auto v1 = expected_index({amd, arm, noplat}, R"("annotations":{"k":"v"})");
    const auto v1_digest = oras::digest::of(v1).str();
    EXPECT_EQ(r.out, "Fetching  amd64\nFetched   " + digest["amd64"] + " amd64\nFetching  "
                         + digest["arm64"] + "\nFetched   " + digest["arm64"]
                         + "\nFetching  noplat\nFetched   " + digest["noplat"]
                         + " noplat\nPacked    " + v1_digest.substr(7, 12)
                         + " application/vnd.oci.image.index.v1+json\nPushed    [registry] " + ref
                         + ":v1\nTagged v1b\nDigest: " + v1_digest + "\n");
    EXPECT_EQ(api(reg, "GET", "/v2/cmd/index/manifests/v1").body, v1);
    EXPECT_EQ(api(reg, "GET", "/v2/cmd/index/manifests/v1b").body, v1);

    r = s.oras({"manifest", "index", "create", ref + ":upper", "upper", "--output", "-"});
    ASSERT_OK(r);
    EXPECT_EQ(r.out, expected_index({upper}));

    // --output -: the index alone on stdout, nothing pushed; --output FILE: compact, not pushed.
    r = s.oras({"manifest", "index", "create", ref + ":unpushed", "art", "--output", "-",
                "--pretty", "--artifact-type", "application/vnd.test.index"});
    ASSERT_OK(r);
    const auto shown = parse_object(r.out);
    EXPECT_NE(r.out.find("\n  \"manifests\""), std::string::npos) << r.out;
    EXPECT_EQ(json::serialize(shown),
              expected_index({art_entry}, R"("artifactType":"application/vnd.test.index")"));
    ASSERT_OK(s.oras({"manifest", "index", "create", ref + ":unpushed", "art", "-o",
                      (s.scratch / "index.json").string()}));
    EXPECT_EQ(read_file(s.scratch / "index.json"), expected_index({art_entry}));
    EXPECT_EQ(api(reg, "HEAD", "/v2/cmd/index/manifests/unpushed").status, 404u);

    // Refused before anything is pushed: an unknown source, a bad artifact type, a digest that
    // is not the index's.
    r = s.oras({"manifest", "index", "create", ref + ":bad", "amd64", "missing"});
    EXPECT_EQ(r.exit_code, 1) << dump(r);
    EXPECT_NE(r.err.find("could not find the manifest missing"), std::string::npos) << r.err;
    r = s.oras(
        {"manifest", "index", "create", "--artifact-type", "not a type", ref + ":bad", "amd64"});
    EXPECT_EQ(r.exit_code, 1) << dump(r);
    EXPECT_NE(r.err.find("invalid media type"), std::string::npos) << r.err;
    r = s.oras({"manifest", "index", "create", ref + "@" + digest["amd64"], "amd64"});
    EXPECT_EQ(r.exit_code, 1) << dump(r);
    EXPECT_NE(r.err.find("not " + digest["amd64"]), std::string::npos) << r.err;
    EXPECT_EQ(api(reg, "HEAD", "/v2/cmd/index/manifests/bad").status, 404u);

    // update: remove, add, merge; the tag moves, --tag adds more; the old index stays.
    ASSERT_OK(s.oras({"manifest", "index", "create", ref + ":extra", "art"}));
    r = s.oras({"manifest", "index", "update", ref + ":v1", "--remove", digest["amd64"], "--add",
                "art", "--merge", "extra", "--tag", "v2"});
    ASSERT_OK(r);
    const auto v2 =
        expected_index({arm, noplat, art_entry, art_entry}, R"("annotations":{"k":"v"})");
    const auto v2_digest = oras::digest::of(v2).str();
    const auto extra_digest = oras::digest::of(expected_index({art_entry})).str();
    EXPECT_EQ(r.out, "Fetching  v1\nFetched   " + v1_digest + " v1\nRemoved   " + digest["amd64"]
                         + "\nFetching  art\nFetched   " + str(art.at("digest"))
                         + " art\nAdded     " + str(art.at("digest"))
                         + " art\nFetching  extra\nFetched   " + extra_digest + " extra\nMerged    "
                         + extra_digest + " extra\nUpdated   " + v2_digest
                         + "\nPushed    [registry] " + ref + ":v1\nTagged v2\nDigest: " + v2_digest
                         + "\n");
    EXPECT_EQ(api(reg, "GET", "/v2/cmd/index/manifests/v1").body, v2);
    EXPECT_EQ(api(reg, "GET", "/v2/cmd/index/manifests/v2").body, v2);
    EXPECT_EQ(api(reg, "GET", "/v2/cmd/index/manifests/" + v1_digest).body, v1);

    // By digest: pushed by its digest, untagged unless --tag; --artifact-type "" drops the type.
    ASSERT_OK(s.oras({"manifest", "index", "create", "--artifact-type", "application/vnd.test.x",
                      ref + ":typed", "amd64"}));
    const auto typed = trimmed(s.oras({"resolve", ref + ":typed"}).out);
    r = s.oras({"manifest", "index", "update", ref + "@" + typed, "--artifact-type", ""});
    ASSERT_OK(r);
    const auto untyped = expected_index({amd});
    EXPECT_NE(r.out.find("Pushed    [registry] " + ref + "\n"), std::string::npos) << r.out;
    EXPECT_EQ(api(reg, "GET", "/v2/cmd/index/manifests/" + oras::digest::of(untyped).str()).body,
              untyped);
    EXPECT_EQ(trimmed(s.oras({"resolve", ref + ":typed"}).out), typed);

    // Nothing asked: nothing done. Bad requests fail and change nothing.
    r = s.oras({"manifest", "index", "update", ref + ":v1"});
    ASSERT_OK(r);
    EXPECT_EQ(r.out, "Nothing to update as no change is requested\n");
    r = s.oras({"manifest", "index", "update", ref + ":v1", "--remove", digest["amd64"]});
    EXPECT_EQ(r.exit_code, 1) << dump(r);
    EXPECT_NE(r.err.find(digest["amd64"] + " does not exist in the index v1"), std::string::npos)
        << r.err;
    r = s.oras({"manifest", "index", "update", ref + ":v1", "--remove", "amd64"});
    EXPECT_EQ(r.exit_code, 1) << dump(r);
    EXPECT_NE(r.err.find("remove: amd64 is not a digest"), std::string::npos) << r.err;
    r = s.oras({"manifest", "index", "update", ref + ":amd64", "--add", "art"});
    EXPECT_EQ(r.exit_code, 1) << dump(r);
    EXPECT_NE(r.err.find("amd64 is not an index"), std::string::npos) << r.err;
    r = s.oras(
        {"manifest", "index", "update", ref + ":v1", "--add", "art", "--tag", "t", "-o", "-"});
    EXPECT_EQ(r.exit_code, 1) << dump(r);
    EXPECT_EQ(api(reg, "GET", "/v2/cmd/index/manifests/v1").body, v2);

    // An OCI layout works the same.
    const auto lay = (s.scratch / "lay").string();
    ASSERT_OK(s.oras({"cp", "--to-oci-layout", ref + ":amd64", lay + ":amd64"}));
    ASSERT_OK(s.oras({"manifest", "index", "create", "--oci-layout", lay + ":multi", "amd64"}));
    r = s.oras({"manifest", "fetch", "--oci-layout", lay + ":multi"});
    ASSERT_OK(r);
    EXPECT_EQ(r.out, expected_index({amd}));
    // Untagged, an index is listed in index.json without a name (as oras-go's layout does).
    r = s.oras({"manifest", "index", "create", "--oci-layout", lay, "amd64", "-a", "u=1"});
    ASSERT_OK(r);
    const auto untagged_index = expected_index({amd}, R"("annotations":{"u":"1"})");
    EXPECT_NE(
        read_file(s.scratch / "lay" / "index.json").find(oras::digest::of(untagged_index).str()),
        std::string::npos);
    // Updating a layout that is not there fails and leaves nothing behind.
    const auto missing = s.scratch / "missing-layout";
    r = s.oras({"manifest", "index", "update", "--oci-layout", missing.string() + ":v1", "--add",
                "amd64"});
    EXPECT_EQ(r.exit_code, 1) << dump(r);
    EXPECT_FALSE(fs::exists(missing));
    // --pretty keeps the bytes' escapes (Go's json.Indent), as the compact form does.
    r = s.oras({"manifest", "index", "create", ref + ":x", "amd64", "-a", "k=a&b<c>", "-o", "-",
                "--pretty"});
    ASSERT_OK(r);
    EXPECT_NE(r.out.find(R"("k": "a\u0026b\u003cc\u003e")"), std::string::npos) << r.out;
}

TEST(cli_commands, localhost_is_plain_http_unless_plain_http_is_given) {
    registry_process reg;  // plain http
    sandbox s;
    const std::string local = "localhost:" + std::to_string(reg.port());
    write_file(s.work / "hi.txt", "hi");
    // As oras: --insecure (or a CA file) does not turn localhost to https.
    ASSERT_OK(s.oras({"push", "--insecure", local + "/scheme:v1", "hi.txt", "--no-tty"}));
    ASSERT_OK(s.oras({"repo", "tags", "--insecure", local + "/scheme"}));
    ASSERT_OK(s.oras(
        {"cp", "--from-insecure", "--to-insecure", local + "/scheme:v1", local + "/scheme:v2"}));
    // --plain-http=false asks for https, which this registry does not speak.
    const auto r = s.oras({"repo", "tags", "--plain-http=false", local + "/scheme"});
    EXPECT_EQ(r.exit_code, 1) << dump(r);
    EXPECT_NE(r.err.find("https://" + local), std::string::npos) << r.err;
    ASSERT_OK(s.oras({"repo", "tags", "--plain-http=true", local + "/scheme"}));
}

TEST(cli_commands, cp_tags_only_what_the_destination_names) {
    registry_process reg;
    sandbox s;
    const std::string src = reg.host() + "/cp/src";
    write_file(s.work / "hi.txt", "copy me");
    ASSERT_OK(s.oras({"push", src + ":v1", "hi.txt", "--no-tty"}));
    const auto digest = trimmed(s.oras({"resolve", src + ":v1"}).out);

    // No destination tag: copied, untagged (as oras cp, which copies the graph only).
    auto r = s.oras({"cp", src + ":v1", reg.host() + "/cp/untagged"});
    ASSERT_OK(r);
    EXPECT_EQ(r.out, "Copied [registry] " + src + ":v1 => [registry] " + reg.host()
                         + "/cp/untagged\nDigest: " + digest + "\n");
    EXPECT_EQ(api(reg, "HEAD", "/v2/cp/untagged/manifests/" + digest).status, 200u);
    EXPECT_TRUE(listed_tags(reg, "cp/untagged").empty());

    // A destination digest must be the copied one: a wrong one copies nothing.
    const std::string wrong =
        "sha256:0000000000000000000000000000000000000000000000000000000000000000";
    expect_error(s.oras({"cp", src + ":v1", reg.host() + "/cp/bydigest@" + wrong}), src + ":v1",
                 "not " + wrong);
    EXPECT_EQ(api(reg, "HEAD", "/v2/cp/bydigest/manifests/" + digest).status, 404u);
    ASSERT_OK(s.oras({"cp", src + ":v1", reg.host() + "/cp/bydigest@" + digest}));
    EXPECT_EQ(api(reg, "HEAD", "/v2/cp/bydigest/manifests/" + digest).status, 200u);
    EXPECT_TRUE(listed_tags(reg, "cp/bydigest").empty());

    // Several tags: the first in the Copied line, then one Tagged line per further tag.
    r = s.oras({"cp", src + ":v1", reg.host() + "/cp/tags:t1,t2,t3"});
    ASSERT_OK(r);
    EXPECT_EQ(r.out, "Copied [registry] " + src + ":v1 => [registry] " + reg.host()
                         + "/cp/tags:t1\nTagged t2\nTagged t3\nDigest: " + digest + "\n");
    EXPECT_EQ(listed_tags(reg, "cp/tags"), (std::vector<std::string>{"t1", "t2", "t3"}));

    // Into a layout, untagged: the manifest is there, no ref.name.
    const auto lay = (s.scratch / "lay").string();
    ASSERT_OK(s.oras({"cp", "--to-oci-layout", src + ":v1", lay}));
    const auto index = read_file(s.scratch / "lay" / "index.json");
    EXPECT_NE(index.find(digest), std::string::npos) << index;
    EXPECT_EQ(index.find("org.opencontainers.image.ref.name"), std::string::npos) << index;
}

TEST(cli_commands, attach_takes_a_config_and_config_annotations) {
    registry_process reg;
    sandbox s;
    const std::string ref = reg.host() + "/cmd/attachcfg";
    write_file(s.work / "hi.txt", "subject");
    write_file(s.work / "sig.txt", "signature");
    write_file(s.work / "config.json", R"({"signed":true})");
    write_file(s.work / "annotations.json", R"({"$config":{"c1":"y"},"$manifest":{"m1":"x"}})");
    ASSERT_OK(s.oras({"push", ref + ":v1", "hi.txt", "--no-tty"}));

    // oras v1.3's example: a config of its own media type.
    auto r = s.oras({"attach", "--artifact-type", "doc/example", "--config",
                     "config.json:application/vnd.me.config", ref + ":v1", "sig.txt",
                     "--export-manifest", "m1.json", "--no-tty"});
    ASSERT_OK(r);
    auto m = parse_object(read_file(s.work / "m1.json"));
    EXPECT_EQ(str(m.at("config").at("mediaType")), "application/vnd.me.config");
    EXPECT_EQ(str(m.at("config").at("digest")), oras::digest::of(R"({"signed":true})").str());
    EXPECT_EQ(str(m.at("artifactType")), "doc/example");

    // $config annotations land on the config descriptor, the empty one included (as oras-go).
    r = s.oras({"attach", "--artifact-type", "doc/example", "--annotation-file", "annotations.json",
                ref + ":v1", "sig.txt", "--export-manifest", "m2.json", "--no-tty"});
    ASSERT_OK(r);
    m = parse_object(read_file(s.work / "m2.json"));
    EXPECT_EQ(str(m.at("config").at("mediaType")), "application/vnd.oci.empty.v1+json");
    EXPECT_EQ(str(m.at("config").at("annotations").at("c1")), "y");
    EXPECT_EQ(str(m.at("annotations").at("m1")), "x");

    expect_error(s.oras({"attach", "--artifact-type", "doc/example", "--config", "config.json",
                         "--platform", "linux/amd64", ref + ":v1", "sig.txt"}),
                 ref + ":v1", "--config, --platform");
}

// Bad packing input is refused before anything is pushed, and named for what it is.
TEST(cli_commands, bad_packing_input_is_refused_before_a_push) {
    registry_process reg;
    sandbox s;
    const std::string ref = reg.host() + "/cmd/badpack:v1";
    write_file(s.work / "a.txt", "a");
    fs::create_directories(s.work / "adir");
    const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
        {{"--export-manifest", "nodir/m.json"}, "no directory nodir"},
        {{"--export-manifest", "adir"}, "is a directory"},
        {{"--export-manifest", "a.txt"}, "a file to push"},
        // Two documents on stdout, with the formatted output.
        {{"--export-manifest", "-", "--format", "json"}, "stdout already carries"},
        {{"--export-manifest", "-", "--format", "go-template={{.digest}}"},
         "stdout already carries"},
    };
    for (const auto& [flags, cause] : cases) {
        std::vector<std::string> args = {"push", ref, "a.txt", "--no-tty"};
        args.insert(args.end(), flags.begin(), flags.end());
        SCOPED_TRACE(flags.back());
        expect_error(s.oras(args), ref, cause);
        EXPECT_EQ(read_file(s.work / "a.txt"), "a");
        EXPECT_NE(s.oras({"resolve", ref}).exit_code, 0) << "pushed";
    }
    expect_error(s.oras({"attach", "--artifact-type", "t/x", ref, "a.txt", "--export-manifest",
                         "nodir/m.json"}),
                 ref, "no directory nodir");
    // The working directory itself: not a title a pull writes; the error says what to do.
    expect_error(s.oras({"push", ref, ".", "--no-tty"}), ref, "is the working directory itself");
    EXPECT_NE(s.oras({"resolve", ref}).exit_code, 0) << "pushed";
    // FILE:TYPE with a type that is not one: the type is named, not a missing "FILE:TYPE".
    expect_error(s.oras({"push", ref, "a.txt:not a type", "--no-tty"}), ref,
                 "\"not a type\" after a.txt is not a media type");
    EXPECT_NE(s.oras({"resolve", ref}).exit_code, 0) << "pushed";
}

TEST(cli_commands, flags_from_oras_examples_take_effect) {
    registry_process reg;
    sandbox s;
    const std::string ref = reg.host() + "/cmd/flags";
    write_file(s.work / "hi.txt", "hi");
    write_file(s.work / "sig.txt", "sig");
    write_file(s.work / "only-config.json", R"({"$config":{"c":"1"}})");
    ASSERT_OK(s.oras({"push", ref + ":v1", "hi.txt", "--no-tty"}));
    ASSERT_OK(s.oras({"attach", "--artifact-type", "application/vnd.test.sig", ref + ":v1",
                      "sig.txt", "--no-tty"}));
    const auto subject = trimmed(s.oras({"resolve", ref + ":v1"}).out);
    const auto tag_index = "/v2/cmd/flags/manifests/sha256-" + subject.substr(7);

    // cp -r with the destination's distribution spec: the tag schema writes the referrers
    // index tag; the referrers API (which distribution lacks, so nothing finds it) does not.
    ASSERT_OK(s.oras({"cp", "-r", "--to-distribution-spec", "v1.1-referrers-tag", ref + ":v1",
                      reg.host() + "/cmd/flags-tag:v1"}));
    EXPECT_EQ(api(reg, "HEAD", "/v2/cmd/flags-tag/manifests/sha256-" + subject.substr(7)).status,
              200u);
    ASSERT_OK(s.oras({"cp", "-r", "--to-distribution-spec", "v1.1-referrers-api", ref + ":v1",
                      reg.host() + "/cmd/flags-api:v1"}));
    EXPECT_EQ(api(reg, "HEAD", "/v2/cmd/flags-api/manifests/sha256-" + subject.substr(7)).status,
              404u);
    EXPECT_EQ(api(reg, "HEAD", tag_index).status, 200u);

    // A password on the command line: oras's warning, once, on stderr.
    auto r = s.oras({"repo", "tags", "-u", "someone", "-p", "not-a-secret", ref});
    ASSERT_OK(r);
    EXPECT_EQ(r.err, "WARNING! Using --password via the CLI is insecure. Use --password-stdin.\n");

    // cobra's help command: `oras help CMD` is `CMD --help`.
    r = s.oras({"help", "manifest", "fetch"});
    ASSERT_OK(r);
    EXPECT_NE(r.out.find("Usage: oras-cpp manifest fetch"), std::string::npos) << r.out;
    EXPECT_EQ(s.oras({"help"}).exit_code, 0);
    r = s.oras({"help", "push", "--config"});  // what follows the names is ignored
    ASSERT_OK(r);
    EXPECT_NE(r.out.find("Usage: oras-cpp push"), std::string::npos) << r.out;

    // repo tags names one manifest, not a list.
    expect_error(s.oras({"repo", "tags", ref + ":v1,v2"}), ref + ":v1,v2", "not 2 tags");

    // attach: $config annotations alone are not something to attach (as oras).
    expect_error(s.oras({"attach", "--artifact-type", "application/vnd.test.x", "--annotation-file",
                         "only-config.json", ref + ":v1"}),
                 ref + ":v1", "at least one file or annotation");

    // References shown as oras shows them: a digest wins over a tag before it.
    r = s.oras({"resolve", "-l", ref + ":v1@" + subject});
    ASSERT_OK(r);
    EXPECT_EQ(r.out, ref + "@" + subject + "\n");
    const auto bytes = s.oras({"manifest", "fetch", ref + ":v1"}).out;
    r = s.oras({"manifest", "push", ref + "@" + subject, "-"}, bytes);
    ASSERT_OK(r);
    EXPECT_NE(r.out.find("Pushed: [registry] " + ref + "@" + subject + "\n"), std::string::npos)
        << r.out;

    // A digest that cannot be resolved is named with @.
    const std::string zero = "sha256:" + std::string(64, '0');
    expect_error(s.oras({"resolve", ref + "@" + zero}), ref + "@" + zero, "cmd/flags@" + zero);
}

// `oras backup` and `oras restore` command lines: tags (named, or every one), referrers, a
// directory or a tar archive, a dry run; the registry's state checked over HTTP.
// A backup to a new directory killed outright leaves its hidden build directory; the next backup
// to the same output removes it, and only it: not a live backup's (locked, or just made), not
// another output's.
TEST(cli_commands, backup_removes_what_a_killed_backup_to_the_same_output_left) {
    registry_process reg;
    sandbox s;
    const std::string repo = reg.host() + "/bk/swept";
    write_file(s.work / "hi.txt", "hi");
    ASSERT_OK(s.oras({"push", repo + ":v1", "hi.txt", "--no-tty"}));
    const auto plant = [&](const std::string& name, bool old) {
        const auto d = s.scratch / name;
        write_file(d / "blobs" / "sha256" / "half", "a blob half written");
        if (old) {
            fs::last_write_time(d, fs::file_time_type::clock::now() - std::chrono::hours(1));
        }
        return d;
    };
    const auto dead = plant(".out.oras-backup-AAAAAA", true);
    const auto live = plant(".out.oras-backup-BBBBBB", true);
    const auto fresh = plant(".out.oras-backup-CCCCCC", false);
    const auto other = plant(".other.oras-backup-DDDDDD", true);
    const int held = ::open(live.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    ASSERT_GE(held, 0);
    ASSERT_EQ(::flock(held, LOCK_EX | LOCK_NB), 0);
    const auto r = s.oras({"backup", "-o", (s.scratch / "out").string(), repo, "--no-tty"});
    ::close(held);
    ASSERT_OK(r);
    EXPECT_TRUE(fs::is_regular_file(s.scratch / "out" / "index.json"));
    EXPECT_FALSE(fs::exists(dead));
    EXPECT_TRUE(fs::exists(live / "blobs" / "sha256" / "half"));
    EXPECT_TRUE(fs::exists(fresh / "blobs" / "sha256" / "half"));
    EXPECT_TRUE(fs::exists(other / "blobs" / "sha256" / "half"));
    // An archive is written in one pass now; what an older version's killed backup to it left
    // is still removed.
    const auto older = plant(".out.tar.oras-backup-EEEEEE", true);
    ASSERT_OK(s.oras({"backup", "-o", (s.scratch / "out.tar").string(), repo, "--no-tty"}));
    EXPECT_TRUE(fs::is_regular_file(s.scratch / "out.tar"));
    EXPECT_FALSE(fs::exists(older));
}

TEST(cli_commands, backup_and_restore_as_oras_does) {
    registry_process reg;
    sandbox s;
    const std::string repo = reg.host() + "/bk/hello";
    write_file(s.work / "hi.txt", "back me up");
    write_file(s.work / "big.bin", pattern(2 * 1024 * 1024 + 3, 11));
    write_file(s.work / "sig.txt", "signature");
    ASSERT_OK(s.oras({"push", repo + ":v1", "hi.txt", "big.bin", "--no-tty"}));
    ASSERT_OK(s.oras({"push", repo + ":v2", "hi.txt", "--no-tty"}));
    ASSERT_OK(
        s.oras({"attach", "--artifact-type", "doc/sig", repo + ":v1", "sig.txt", "--no-tty"}));
    const auto v1 = trimmed(s.oras({"resolve", repo + ":v1"}).out);
    const auto v2 = trimmed(s.oras({"resolve", repo + ":v2"}).out);

    // Named tags with their referrers, into a directory.
    const auto dir = (s.scratch / "hello").string();
    auto r =
        s.oras({"backup", "--output", dir, "--include-referrers", repo + ":v1,v2", "--no-tty"});
    ASSERT_OK(r);
    const auto out = lines(r.out);
    ASSERT_GE(out.size(), 4u) << r.out;
    EXPECT_EQ(out[0], "Found 2 tag(s) in " + repo + ": v1, v2");
    EXPECT_EQ(out[1], "Pulled tag v1 with 1 referrer(s)");
    EXPECT_EQ(out[2], "Pulled tag v2 with 0 referrer(s)");
    EXPECT_TRUE(out[3].starts_with("Successfully backed up 2 tag(s) from \"" + repo + "\" to \""
                                   + dir + "\" in "))
        << r.out;
    r = s.oras({"resolve", "--oci-layout", dir + ":v1"});
    ASSERT_OK(r);
    EXPECT_EQ(trimmed(r.out), v1);
    r = s.oras({"discover", "--oci-layout", dir + ":v1", "--format", "json"});
    ASSERT_OK(r);
    EXPECT_EQ(parse_object(r.out).at("referrers").as_array().size(), 1u) << r.out;

    // Every tag, into a tar archive (the referrers' fallback tag among them, as oras lists it).
    const auto tar = (s.scratch / "hello.tar").string();
    r = s.oras({"backup", "-o", tar, repo, "--no-tty"});
    ASSERT_OK(r);
    EXPECT_TRUE(r.out.starts_with("Found 3 tag(s) in " + repo + ": ")) << r.out;
    EXPECT_NE(r.out.find("Exporting to " + tar + "\nExported to " + tar + " ("), std::string::npos)
        << r.out;
    // The size as oras prints it (humanize.ToBytes, 2 MB here): `MB`, not `MiB`.
    EXPECT_NE(r.out.find(" MB)\n"), std::string::npos) << r.out;
    for (const auto& e : fs::directory_iterator(s.scratch)) {
        EXPECT_FALSE(e.path().filename().string().starts_with(".")) << e.path();  // no scratch
    }

    // A dry run pushes nothing.
    r = s.oras({"restore", "--input", dir, "--dry-run", reg.host() + "/bk/dry"});
    ASSERT_OK(r);
    EXPECT_EQ(r.out,
              "Found 2 tag(s) in the backup: v1, v2\n"
              "Dry run: would push tag v1 with 1 referrer(s)\n"
              "Dry run: would push tag v2 with 0 referrer(s)\n"
              "Dry run complete: 2 tag(s) would be restored to \""
                  + reg.host() + "/bk/dry\" (no data pushed)\n");
    EXPECT_TRUE(listed_tags(reg, "bk/dry").empty());

    // From the archive, every tag: the same manifests under the same tags.
    r = s.oras({"restore", "--input", tar, reg.host() + "/bk/copy", "--no-tty"});
    ASSERT_OK(r);
    EXPECT_TRUE(r.out.starts_with("Loaded backup archive: " + tar + " (")) << r.out;
    EXPECT_NE(r.out.find(" MB)\n"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("Successfully restored 3 tag(s) to \"" + reg.host() + "/bk/copy\" in "),
              std::string::npos)
        << r.out;
    EXPECT_EQ(listed_tags(reg, "bk/copy"), listed_tags(reg, "bk/hello"));
    EXPECT_EQ(trimmed(s.oras({"resolve", reg.host() + "/bk/copy:v1"}).out), v1);
    EXPECT_EQ(trimmed(s.oras({"resolve", reg.host() + "/bk/copy:v2"}).out), v2);
    r = s.oras(
        {"pull", reg.host() + "/bk/copy:v1", "-o", (s.scratch / "pulled").string(), "--no-tty"});
    ASSERT_OK(r);
    EXPECT_TRUE(read_file(s.scratch / "pulled" / "big.bin") == read_file(s.work / "big.bin"));

    // One tag from the directory, without its referrers: none at the destination.
    r = s.oras(
        {"restore", "--input", dir, "--exclude-referrers", reg.host() + "/bk/bare:v1", "--no-tty"});
    ASSERT_OK(r);
    EXPECT_NE(r.out.find("Pushed tag v1 with 0 referrer(s)\n"), std::string::npos) << r.out;
    r = s.oras({"discover", reg.host() + "/bk/bare:v1", "--format", "json"});
    ASSERT_OK(r);
    EXPECT_TRUE(parse_object(r.out).at("referrers").as_array().empty()) << r.out;
    EXPECT_EQ(listed_tags(reg, "bk/bare"), (std::vector<std::string>{"v1"}));

    // Refused, with nothing written: a digest, a tag the source lacks, a tar over a directory,
    // a missing input.
    expect_error(s.oras({"backup", "-o", (s.scratch / "d").string(), repo + "@" + v1}),
                 repo + "@" + v1, "digest references are not supported");
    expect_error(s.oras({"backup", "-o", (s.scratch / "none").string(), repo + ":v1,nope"}),
                 repo + ":v1,nope", "nope");
    EXPECT_FALSE(fs::exists(s.scratch / "none"));
    expect_error(s.oras({"backup", "-o", (s.scratch / "none.tar").string(), repo + ":nope"}),
                 repo + ":nope", "nope");
    EXPECT_FALSE(fs::exists(s.scratch / "none.tar"));
    // A backup that fails leaves an earlier backup, a directory or an archive, as it was.
    const auto archive_before = read_file(tar);
    expect_error(s.oras({"backup", "-o", tar, repo + ":nope"}), repo + ":nope", "nope");
    EXPECT_TRUE(read_file(tar) == archive_before);
    expect_error(s.oras({"backup", "-o", dir, repo + ":nope"}), repo + ":nope", "nope");
    r = s.oras({"resolve", "--oci-layout", dir + ":v1"});
    ASSERT_OK(r);
    EXPECT_EQ(trimmed(r.out), v1);
    fs::create_directories(s.scratch / "isdir.tar");
    expect_error(s.oras({"backup", "-o", (s.scratch / "isdir.tar").string(), repo + ":v1"}),
                 repo + ":v1", "is a directory");
    expect_error(s.oras({"restore", "--input", (s.scratch / "missing").string(), repo + ":v1"}),
                 repo + ":v1", "cannot access the input path");
    expect_error(s.oras({"restore", "--input", dir, reg.host() + "/bk/other:v9"}),
                 reg.host() + "/bk/other:v9", "v9");
    EXPECT_TRUE(listed_tags(reg, "bk/other").empty());
}
