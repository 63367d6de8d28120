#include "cli/display/man.hpp"

#include <oras/version.hpp>

#include <sstream>
#include <string_view>

namespace oras::cli {

namespace {

/// Text as troff reads it: backslashes escaped, a line never starting a request.
std::string escape(std::string_view text) {
    std::string out;
    bool line_start = true;
    for (const char c : text) {
        if (line_start && (c == '.' || c == '\'')) {
            out += "\\&";
        }
        if (c == '\\') {
            out += "\\e";
        } else if (c == '-') {
            out += "\\-";
        } else {
            out += c;
        }
        line_start = c == '\n';
    }
    return out;
}

std::string upper(std::string s) {
    for (auto& c : s) {
        if (c >= 'a' && c <= 'z') {
            c = static_cast<char>(c - 'a' + 'A');
        }
    }
    return s;
}

/// `push`, or `repo tags` for a subcommand of a group.
std::string path_of(const CLI::App& cmd, const CLI::App& root) {
    std::string path = cmd.get_name();
    for (const auto* p = cmd.get_parent(); p != nullptr && p != &root; p = p->get_parent()) {
        path = p->get_name() + " " + path;
    }
    return path;
}

void write_command(std::ostringstream& s, const CLI::App& cmd, const CLI::App& root) {
    const auto path = path_of(cmd, root);
    s << ".SS \"oras\\-cpp " << escape(path) << "\"\n" << escape(cmd.get_description()) << "\n";
    if (!cmd.get_aliases().empty()) {
        s << "(alias";
        for (const auto& a : cmd.get_aliases()) {
            s << " \\fB" << escape(a) << "\\fR";
        }
        s << ")\n";
    }
    s << ".PP\n.B oras\\-cpp " << escape(path) << "\n[\\fIflags\\fR]";
    for (const auto* o : cmd.get_options()) {
        if (!o->get_positional()) {
            continue;
        }
        auto name = "\\fI" + escape(upper(o->get_name())) + "\\fR";
        if (o->get_items_expected_max() > 1) {
            name += "...";
        }
        s << (o->get_required() ? " " + name : " [" + name + "]");
    }
    s << "\n";
    for (const auto* o : cmd.get_options()) {
        if (o->get_positional() || o->get_name() == "--help") {
            continue;
        }
        s << ".TP\n";
        std::string names;
        for (const auto& n : o->get_snames()) {
            names += (names.empty() ? "" : ", ") + std::string("\\fB\\-") + escape(n) + "\\fR";
        }
        for (const auto& n : o->get_lnames()) {
            names += (names.empty() ? "" : ", ") + std::string("\\fB\\-\\-") + escape(n) + "\\fR";
        }
        if (o->get_items_expected_max() > 0) {
            names += " \\fI" + escape(o->get_type_name().empty() ? "VALUE" : o->get_type_name())
                     + "\\fR";
        }
        s << names << "\n" << escape(o->get_description());
        if (!o->get_default_str().empty() && o->get_items_expected_max() > 0) {
            s << " (default: " << escape(o->get_default_str()) << ")";
        }
        s << "\n";
    }
    if (const auto& footer = cmd.get_footer(); !footer.empty()) {
        s << ".PP\n.nf\n" << escape(footer) << "\n.fi\n";
    }
}

/// Every command under `group` (groups such as `manifest index` opened in place).
void write_commands(std::ostringstream& s, const CLI::App& group, const CLI::App& root) {
    for (const auto* cmd : group.get_subcommands({})) {
        if (cmd->get_subcommands({}).empty()) {
            write_command(s, *cmd, root);
        } else {
            write_commands(s, *cmd, root);
        }
    }
}

}  // namespace

std::string man_page(const CLI::App& root) {
    std::ostringstream s;
    s << ".TH ORAS\\-CPP 1 \"\" \"oras\\-cpp " << ORAS_VERSION_STRING << "\" \"User Commands\"\n"
      << ".SH NAME\noras\\-cpp \\- push, pull, copy and manage OCI artifacts in registries\n"
      << ".SH SYNOPSIS\n.B oras\\-cpp\n\\fICOMMAND\\fR [\\fIflags\\fR] [\\fIarguments\\fR]\n"
      << ".SH DESCRIPTION\n"
      << "oras\\-cpp stores arbitrary artifacts (files, directories, configs, annotations) in "
         "any OCI distribution registry, copies artifact graphs between registries and OCI image "
         "layouts, attaches and discovers referrers, and manages tags, manifests and blobs. "
         "Commands, arguments and flags carry the ORAS CLI's names.\n"
      << ".PP\nA reference is \\fIREGISTRY\\fR/\\fIREPOSITORY\\fR[:\\fITAG\\fR]"
         "[@\\fIDIGEST\\fR]; with \\fB\\-\\-oci\\-layout\\fR it is a directory, "
         "\\fIDIR\\fR[:\\fITAG\\fR] or \\fIDIR\\fR@\\fIDIGEST\\fR.\n"
      << ".SH COMMANDS\n";
    write_commands(s, root, root);
    s << ".SH EXIT STATUS\n"
         "0 on success; 1 when a command fails, after one line \\fBError: \\fISUBJECT\\fB: "
         "\\fICAUSE\\fR on standard error, a usage error included; 130 or 143 after SIGINT or "
         "SIGTERM.\n"
      << ".SH ENVIRONMENT\n"
         ".TP\n\\fBORAS_USER\\fR, \\fBORAS_PASS\\fR\n"
         "Credentials for the registry of the reference, when no flag gives any; not used "
         "(with a warning) by a command that reaches two registries.\n"
         ".TP\n\\fBDOCKER_CONFIG\\fR\n"
         "The directory of the credentials file (default \\fI~/.docker\\fR).\n"
         ".TP\n\\fBORAS_CACHE\\fR\n"
         "A directory where \\fBpull\\fR, \\fBcp\\fR, \\fBbackup\\fR, \\fBblob fetch\\fR and "
         "\\fBmanifest fetch\\fR keep the blobs they fetch, verified, and read them from the "
         "next time instead of the registry (manifests always come from it); shared safely by "
         "concurrent processes. \\fBpush\\fR and \\fBattach\\fR remember there, under "
         "\\fItrees\\fR, the digests of the directories they archive.\n"
         ".TP\n\\fBORAS_CACHE_MAX_SIZE\\fR\n"
         "A bound on that cache (bytes, or a number with K, M, G or T); the least recently "
         "used blobs are removed after a command to keep within it. Unset: no bound.\n"
         ".TP\n\\fBHTTPS_PROXY\\fR, \\fBHTTP_PROXY\\fR, \\fBNO_PROXY\\fR\n"
         "HTTP proxies, and the hosts reached without one.\n"
      << ".SH FILES\n"
         ".TP\n\\fI~/.docker/config.json\\fR\n"
         "Credentials and credential helpers, shared with Docker and the ORAS CLI; "
         "\\fBlogin\\fR writes it, replacing it atomically.\n"
         ".TP\n\\fI~/.cache/oras-cpp/trees\\fR\n"
         "Without \\fBORAS_CACHE\\fR (under \\fI$XDG_CACHE_HOME/oras-cpp/trees\\fR when that is "
         "set): the digests of pushed directories, keyed by the metadata of their files, so "
         "that an unchanged directory is pushed again without archiving it.\n"
      << ".SH SEE ALSO\n"
         "The ORAS CLI, \\fBoras\\fR(1); \\fBskopeo\\fR(1).\n";
    return s.str();
}

}  // namespace oras::cli
