// Each command (or group) registers itself on the app; see app.cpp for the order.
#pragma once

#include "cli/app.hpp"

namespace oras::cli {

void add_push(app& a);
void add_pull(app& a);
void add_cp(app& a);
void add_backup(app& a);
void add_restore(app& a);
void add_mirror(app& a);
void add_attach(app& a);
void add_discover(app& a);
void add_tag(app& a);
void add_resolve(app& a);
void add_repo(app& a);
void add_manifest(app& a);
/// `manifest index create|update`, under the `manifest` group.
void add_manifest_index(app& a, CLI::App& manifest);
void add_blob(app& a);
void add_login(app& a);
void add_logout(app& a);
void add_version(app& a);
void add_completion(app& a);

}  // namespace oras::cli
