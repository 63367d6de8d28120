#include "cli/commands/delete.hpp"

#include "cli/display/json.hpp"
#include "cli/options/confirm.hpp"
#include "cli/wait.hpp"

#include <oras/error.hpp>

#include <iostream>

namespace oras::cli {

void delete_flags::add(CLI::App& cmd, const std::string& reference_help, bool with_spec) {
    cmd.add_option("reference", ref, reference_help)->required();
    cmd.add_flag("-f,--force", force, "Do not ask; a missing item is not an error");
    desc.add(cmd);
    target.add(cmd, true, with_spec, false);
}

int run_delete(delete_flags& f, const find_fn& find, const remove_fn& remove,
               const std::function<std::string(const descriptor&)>& question) {
    if (f.desc.descriptor && !f.force) {
        throw error(errc::invalid_argument, "--descriptor needs --force to confirm the deletion");
    }
    boost::asio::io_context io;
    auto t = ops::open_target(io.get_executor(), f.target.location(f.ref), ops::open_mode::update);
    require_one_tag(t);
    if (t.reference.empty()) {
        throw error(errc::invalid_reference, "name what to delete by tag or digest");
    }
    descriptor found;
    try {
        found = wait(io, find(*t.target, t.reference));
    } catch (const error& e) {
        if (e.code() == make_error_code(errc::not_found) && f.force && !f.desc.descriptor) {
            std::cout << "Missing " << f.ref << "\n";
            return 0;
        }
        throw;
    }
    if (!confirm(question(found), f.force)) {
        return 0;
    }
    const auto deleted = wait(io, remove(*t.target, std::move(found)));
    if (f.desc.descriptor) {
        print_descriptor(std::cout, deleted, f.desc.pretty);
        return 0;
    }
    std::cout << "Deleted " << t.display << "\n";
    return 0;
}

}  // namespace oras::cli
