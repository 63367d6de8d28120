// attach: resolve the subject, then push a referrer manifest through push's graph copy.
#include <oras/error.hpp>
#include <oras/image_manifest.hpp>
#include <oras/media_type.hpp>
#include <oras/ops/attach.hpp>

#include "core/quote.hpp"
#include "ops/created.hpp"

namespace oras::ops {

namespace asio = boost::asio;
using oras::detail::quote;

asio::awaitable<attach_result> attach(content::target& dst, std::string subject, attach_options o) {
    if (o.artifact_type.empty()) {
        throw error(errc::invalid_argument, "an attached artifact needs an artifact type");
    }
    if (!media_type::is_valid(o.artifact_type)) {
        throw error(errc::invalid_media_type,
                    quote(o.artifact_type) + " is not a valid artifact type");
    }
    const auto manifest_annotations = o.annotations.find("$manifest");
    if (o.files.empty()
        && (manifest_annotations == o.annotations.end() || manifest_annotations->second.empty())) {
        throw error(errc::invalid_argument,
                    "attach needs at least one file or annotation to attach");
    }
    if (subject.empty()) {
        throw error(errc::invalid_reference, "name the subject by tag or digest");
    }
    detail::check_created(o.annotations);  // before the subject is asked for
    attach_result out;
    out.subject = co_await dst.resolve(subject);
    if (o.platform) {
        out.subject = co_await select_platform(dst, std::move(out.subject), *o.platform);
    }
    if (!media_type::is_graph_manifest(out.subject.media_type)) {
        throw error(errc::invalid_media_type,
                    subject + " names " + out.subject.media_type + ", not a manifest or index");
    }
    push_options p;
    p.files = std::move(o.files);
    p.config = std::move(o.config);
    p.artifact_type = std::move(o.artifact_type);
    p.annotations = std::move(o.annotations);
    p.version = manifest_version::v1_1;
    p.created_annotation = o.created_annotation;
    p.subject = out.subject;
    p.concurrency = o.concurrency;
    p.working_dir = std::move(o.working_dir);
    p.disable_path_validation = o.disable_path_validation;
    p.progress = std::move(o.progress);
    p.tree_cache = std::move(o.tree_cache);
    auto pushed = co_await push(dst, std::move(p));
    out.manifest = std::move(pushed.manifest);
    // As oras-go's packer reports it: the referrer's descriptor carries its annotations, which
    // is what a referrers listing shows of it.
    if (auto m = image_manifest::parse(pushed.manifest_bytes)) {
        out.manifest.annotations = std::move(m->annotations);
    }
    out.manifest_bytes = std::move(pushed.manifest_bytes);
    out.blobs_uploaded = pushed.blobs_uploaded;
    out.unused_annotation_keys = std::move(pushed.unused_annotation_keys);
    co_return out;
}

}  // namespace oras::ops
