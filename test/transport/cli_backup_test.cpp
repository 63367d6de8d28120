// backup against a scripted registry: the output name taken by someone else while the backup
// ran (the complete layout is kept under a name no later backup sweeps, and the error says where
// it is); a backup to an archive killed outright (what it wrote is removed by the next one).
#include "scripted_server.hpp"

#include <oras/test/cli_sandbox.hpp>

#include <oras/image_manifest.hpp>

#include <atomic>
#include <chrono>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace oras::cli_test {
namespace {

using oras::test::action;
using oras::test::scripted_request;
using oras::test::scripted_server;

// A repository `r` holding one artifact of one layer, tagged v1: what the tests' scripted
// registry serves but the layer itself, which each test serves its own way.
struct one_layer_repo {
    explicit one_layer_repo(std::string layer_bytes) : layer(std::move(layer_bytes)) {
        m.config = oras::test::describe("{}", "application/vnd.oci.empty.v1+json");
        m.layers = {layer_desc};
        manifest = m.serialize();
        manifest_digest = oras::digest::of(manifest).str();
    }

    /// The answer to `r`, unless it asks for the layer (then nothing).
    std::optional<action> serve(const scripted_request& r) const {
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
        if (r.target == "/v2/r/blobs/" + m.config.digest.str()) {
            return action{.body = "{}"};
        }
        if (r.target == "/v2/r/blobs/" + layer_desc.digest.str()) {
            return std::nullopt;
        }
        return action{.status = 404};
    }

    std::string layer;
    oras::descriptor layer_desc =
        oras::test::describe(layer, "application/vnd.oci.image.layer.v1.tar");
    oras::image_manifest m;
    std::string manifest;
    std::string manifest_digest;
};

TEST(cli_backup, an_output_made_meanwhile_keeps_the_complete_backup_aside) {
    sandbox s;
    const auto out = s.scratch / "out";
    const one_layer_repo repo("hello\n");
    const auto& layer = repo.layer;
    const auto& layer_desc = repo.layer_desc;
    std::mutex mu;
    bool made = false;
    scripted_server server([&](const scripted_request& r) {
        if (auto a = repo.serve(r)) {
            return *a;
        }
        // The layer. Another process takes the output name while the backup is under way.
        std::lock_guard lock(mu);
        if (!made && !fs::exists(out)) {
            fs::create_directories(out / "theirs");
            made = true;
        }
        return action{.body = layer};
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

TEST(cli_backup, an_archive_killed_half_written_is_removed_by_the_next_backup) {
    sandbox s;
    const auto out = s.scratch / "out.tar";
    write_file(out, "the backup from before");
    const one_layer_repo repo(std::string(1 << 20, 'x') + "the end");
    const auto& manifest_digest = repo.manifest_digest;
    std::atomic<bool> stall{true};
    std::atomic<bool> stalled{false};
    scripted_server server([&](const scripted_request& r) {
        if (auto a = repo.serve(r)) {
            return *a;
        }
        if (stall) {
            stalled = true;
            // Half the layer, then nothing: the backup waits there until it is killed.
            return action{.body = repo.layer, .delay_mid_body = std::chrono::minutes(10)};
        }
        return action{.body = repo.layer};
    });
    const auto temp_names = [&] {
        std::vector<std::string> out_names;
        for (const auto& e : fs::directory_iterator(s.scratch)) {
            if (const auto n = e.path().filename().string(); n.starts_with(".out.tar.oras")) {
                out_names.push_back(n);
            }
        }
        return out_names;
    };
    const auto killed = s.oras({"backup", "--no-tty", "-o", out.string(), server.host() + "/r:v1"},
                               {}, {}, std::chrono::seconds(5));
    ASSERT_TRUE(stalled) << dump(killed);
    EXPECT_TRUE(killed.timed_out) << dump(killed);
    EXPECT_EQ(read_file(out), "the backup from before");
    EXPECT_EQ(temp_names().size(), 1u);  // the archive it was writing
    stall = false;
    const auto again = s.oras({"backup", "--no-tty", "-o", out.string(), server.host() + "/r:v1"});
    ASSERT_EQ(again.exit_code, 0) << dump(again);
    EXPECT_EQ(temp_names(), std::vector<std::string>{});
    EXPECT_NE(again.out.find("Exported to " + out.string() + " ("), std::string::npos)
        << dump(again);
    const auto restored = s.oras({"resolve", "--oci-layout", out.string() + ":v1"});
    EXPECT_EQ(restored.exit_code, 0) << dump(restored);
    EXPECT_EQ(restored.out, manifest_digest + "\n");
}

}  // namespace
}  // namespace oras::cli_test
