// backup's last step against a scripted registry: the output name taken by someone else while
// the backup ran. The complete layout is kept under a name no later backup sweeps, and the error
// says where it is.
#include "scripted_server.hpp"

#include <oras/test/cli_sandbox.hpp>

#include <oras/image_manifest.hpp>

#include <mutex>

namespace oras::cli_test {
namespace {

using oras::test::action;
using oras::test::scripted_request;
using oras::test::scripted_server;

TEST(cli_backup, an_output_made_meanwhile_keeps_the_complete_backup_aside) {
    sandbox s;
    const auto out = s.scratch / "out";
    const std::string layer = "hello\n";
    const auto layer_desc = oras::test::describe(layer, "application/vnd.oci.image.layer.v1.tar");
    oras::image_manifest m;
    m.config = oras::test::describe("{}", "application/vnd.oci.empty.v1+json");
    m.layers = {layer_desc};
    const auto manifest = m.serialize();
    const auto manifest_digest = oras::digest::of(manifest).str();
    std::mutex mu;
    bool made = false;
    scripted_server server([&](const scripted_request& r) {
        if (r.target == "/v2/" || r.target == "/v2") {
            return action{.body = "{}"};
        }
        if (r.target.starts_with("/v2/r/tags/list")) {
            return action{.headers = {{"Content-Type", "application/json"}},
                          .body = R"({"name":"r","tags":["v1"]})"};
        }
        if (r.target == "/v2/r/manifests/v1" || r.target == "/v2/r/manifests/" + manifest_digest) {
            return action{
                .headers = {{"Content-Type", "application/vnd.oci.image.manifest.v1+json"},
                            {"Docker-Content-Digest", manifest_digest}},
                .body = manifest};
        }
        if (r.target == "/v2/r/blobs/" + layer_desc.digest.str()) {
            // Another process takes the output name while the backup is under way.
            std::lock_guard lock(mu);
            if (!made && !fs::exists(out)) {
                fs::create_directories(out / "theirs");
                made = true;
            }
            return action{.body = layer};
        }
        if (r.target == "/v2/r/blobs/" + m.config.digest.str()) {
            return action{.body = "{}"};
        }
        return action{.status = 404};
    });
    const auto r = s.oras({"backup", "--no-tty", "-o", out.string(), server.host() + "/r:v1"});
    EXPECT_NE(r.exit_code, 0) << dump(r);
    // Theirs is untouched.
    EXPECT_TRUE(fs::exists(out / "theirs"));
    EXPECT_FALSE(fs::exists(out / "index.json"));
    // Ours is complete, aside, and named in the error.
    std::vector<fs::path> kept;
    for (const auto& e : fs::directory_iterator(s.scratch)) {
        if (e.path().filename().string().ends_with(".complete")) {
            kept.push_back(e.path());
        }
    }
    ASSERT_EQ(kept.size(), 1u) << dump(r);
    EXPECT_NE(r.err.find("it is complete in " + kept[0].string()), std::string::npos) << dump(r);
    EXPECT_TRUE(fs::exists(kept[0] / "index.json"));
    EXPECT_EQ(read_file(kept[0] / "blobs" / "sha256" / std::string(layer_desc.digest.encoded())),
              layer);
    // A later backup to the same output sweeps the build directories of dead backups (unlocked,
    // unchanged for a while): never the kept one, however old.
    fs::last_write_time(kept[0], fs::file_time_type::clock::now() - std::chrono::hours(1));
    fs::remove_all(out);
    const auto again = s.oras({"backup", "--no-tty", "-o", out.string(), server.host() + "/r:v1"});
    EXPECT_EQ(again.exit_code, 0) << dump(again);
    EXPECT_TRUE(fs::exists(kept[0] / "index.json"));
    EXPECT_TRUE(fs::exists(out / "index.json"));
}

}  // namespace
}  // namespace oras::cli_test
