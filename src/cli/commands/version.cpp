// oras-cpp version: the release and what it was built with.
#include "cli/commands/commands.hpp"

#include <oras/error.hpp>
#include <oras/version.hpp>

#include <openssl/crypto.h>
#include <boost/version.hpp>

#include <iostream>

namespace oras::cli {

namespace {

std::string compiler() {
#if defined(__clang__)
    return "clang " __clang_version__;
#elif defined(__GNUC__)
    return "g++ " __VERSION__;
#else
    return "unknown";
#endif
}

}  // namespace

void add_version(app& a) {
    auto* cmd = a.cli.add_subcommand("version", "Show the version of oras-cpp and its parts");
    cmd->allow_extras();  // as oras: a warning, not an error
    a.commands.push_back(
        {cmd,
         [cmd] {
             const auto extra = cmd->remaining();
             for (const auto& e : extra) {
                 if (e.starts_with("-")) {  // a flag is still no argument
                     throw oras::error(errc::invalid_argument, "unknown flag: " + e);
                 }
             }
             if (!extra.empty()) {
                 std::string joined;
                 for (const auto& e : extra) {
                     joined += (joined.empty() ? "" : ",") + e;
                 }
                 std::cerr << "warning: `oras-cpp version` requires no argument, \"" << joined
                           << "\" will be ignored\n";
             }
             std::cout << "Version:        " << ORAS_VERSION_STRING << "\n"
                       << "Compiler:       " << compiler() << "\n"
                       << "Boost:          " << BOOST_VERSION / 100000 << "."
                       << BOOST_VERSION / 100 % 1000 << "." << BOOST_VERSION % 100 << "\n"
                       << "OpenSSL:        " << OpenSSL_version(OPENSSL_VERSION) << "\n";
             return 0;
         },
         [] { return std::string("version"); }});
}

}  // namespace oras::cli
