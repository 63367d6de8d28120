// What `manifest delete` and `blob delete` share: look it up, confirm, delete, report.
#pragma once

#include "cli/options/target.hpp"

#include <oras/content/target.hpp>
#include <oras/descriptor.hpp>

#include <boost/asio/awaitable.hpp>

#include <functional>
#include <string>

namespace oras::cli {

struct delete_flags {
    std::string ref;
    bool force = false;
    descriptor_flags desc;
    target_flags target;

    /// The reference argument, `-f`, `--descriptor`, `--pretty` and the remote flags.
    void add(CLI::App& cmd, const std::string& reference_help, bool with_spec);
};

/// Finds what `reference` names (a tag or digest) in a target; throws `not_found` if absent.
using find_fn = std::function<boost::asio::awaitable<descriptor>(content::target&, std::string)>;
/// Deletes what was found; returns what was deleted.
using remove_fn = std::function<boost::asio::awaitable<descriptor>(content::target&, descriptor)>;

/// Runs a delete: a missing item is `Missing REF` with `-f` (an error otherwise); the user
/// confirms (`question(found)`) unless `-f`; then `Deleted [registry] REF` or the descriptor.
int run_delete(delete_flags& f, const find_fn& find, const remove_fn& remove,
               const std::function<std::string(const descriptor&)>& question);

}  // namespace oras::cli
