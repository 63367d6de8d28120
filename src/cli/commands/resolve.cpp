// oras-cpp resolve: the digest a tag names.
#include "cli/commands/commands.hpp"
#include "cli/options/target.hpp"
#include "cli/wait.hpp"

#include <oras/error.hpp>
#include <oras/ops/platform.hpp>

#include <iostream>

namespace oras::cli {

namespace {

struct resolve_flags {
    std::string ref;
    bool full = false;
    target_flags target;
    platform_flags platform;
};

boost::asio::awaitable<descriptor> resolve_on(content::target& t, std::string reference,
                                              std::optional<oras::platform> platform) {
    auto d = co_await t.resolve(reference);
    if (platform) {
        d = co_await ops::select_platform(t, std::move(d), *platform);
    }
    co_return d;
}

int run_resolve(resolve_flags& f) {
    boost::asio::io_context io;
    auto t = ops::open_target(io.get_executor(), f.target.location(f.ref), ops::open_mode::read);
    require_one_tag(t);
    if (t.reference.empty()) {
        throw error(errc::invalid_reference, "name a tag or digest to resolve");
    }
    const auto d = wait(io, resolve_on(*t.target, t.reference, f.platform.get()));
    if (f.full) {
        std::cout << f.target.repository(f.ref) << "@";
    }
    std::cout << d.digest.str() << "\n";
    return 0;
}

}  // namespace

void add_resolve(app& a) {
    auto f = std::make_shared<resolve_flags>();
    auto* cmd = a.cli.add_subcommand("resolve", "Resolve a tag to the digest of its manifest");
    cmd->alias("digest");
    cmd->footer(
        "Examples:\n"
        "  oras-cpp resolve localhost:5000/hello-world:v1\n"
        "  oras-cpp resolve --full-reference localhost:5000/hello-world:v1\n"
        "  oras-cpp resolve --platform linux/amd64 localhost:5000/hello-world:v1");
    cmd->add_option("reference", f->ref, "REGISTRY/REPOSITORY{:TAG|@DIGEST}")->required();
    cmd->add_flag("-l,--full-reference", f->full,
                  "Print the full reference with the digest (REPOSITORY@DIGEST)");
    f->platform.add(*cmd);
    f->target.add(*cmd, true, false, false);
    a.commands.push_back({cmd, [f] { return run_resolve(*f); }, [f] { return f->ref; }});
}

}  // namespace oras::cli
