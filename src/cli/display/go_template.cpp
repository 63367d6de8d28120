// A Go text/template interpreter over JSON values: a lexer and parser into a small tree, then a
// walk of that tree. Values are Boost.JSON values, with "no value" (a missing key) kept apart from
// null, as Go keeps an invalid reflect.Value apart from a nil interface.
#include "cli/display/go_template.hpp"

#include <oras/error.hpp>

#include <boost/json.hpp>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <climits>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace oras::cli {

// Named, so that nothing here meets the names of the other command files of the unity build.
namespace gotmpl {
namespace {

namespace json = boost::json;

// ---------------------------------------------------------------------------------------------
// Values

/// A template value: a JSON value, or no value at all (a key the data lacks).
struct tval {
    json::value v{};
    bool missing = false;

    static tval none() {
        tval t;
        t.missing = true;
        return t;
    }
};

tval of(json::value v) {
    return tval{std::move(v), false};
}

/// Go decodes every JSON number into a float64.
json::value as_go_data(const json::value& v) {
    switch (v.kind()) {
        case json::kind::int64:
            return static_cast<double>(v.get_int64());
        case json::kind::uint64:
            return static_cast<double>(v.get_uint64());
        case json::kind::array: {
            json::array out;
            out.reserve(v.get_array().size());
            for (const auto& e : v.get_array()) {
                out.push_back(as_go_data(e));
            }
            return out;
        }
        case json::kind::object: {
            json::object out;
            for (const auto& [k, e] : v.get_object()) {
                out[k] = as_go_data(e);
            }
            return out;
        }
        default:
            return v;
    }
}

/// Shortest digits and decimal exponent of `d` (> 0): d = 0.DIGITS x 10^point.
void shortest_digits(double d, std::string& digits, int& point) {
    char buf[64];
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, d, std::chars_format::scientific);
    const std::string s(buf, end);
    const auto e = s.find('e');
    digits.clear();
    for (std::size_t i = 0; i < e; ++i) {
        if (s[i] != '.') {
            digits += s[i];
        }
    }
    while (digits.size() > 1 && digits.back() == '0') {
        digits.pop_back();
    }
    point = std::stoi(s.substr(e + 1)) + 1;
}

/// Go's strconv.FormatFloat(d, fmt, -1, 64) for 'e' and 'f' from shortest digits.
std::string format_e(const std::string& digits, int point, bool negative) {
    std::string out = negative ? "-" : "";
    out += digits[0];
    if (digits.size() > 1) {
        out += '.';
        out += digits.substr(1);
    }
    const int exp = point - 1;
    out += 'e';
    out += exp < 0 ? '-' : '+';
    const int a = exp < 0 ? -exp : exp;
    if (a < 10) {
        out += '0';
    }
    out += std::to_string(a);
    return out;
}

std::string format_f(const std::string& digits, int point, bool negative) {
    std::string out = negative ? "-" : "";
    if (point <= 0) {
        out += "0.";
        out.append(static_cast<std::size_t>(-point), '0');
        out += digits;
        return out;
    }
    if (static_cast<std::size_t>(point) >= digits.size()) {
        out += digits;
        out.append(static_cast<std::size_t>(point) - digits.size(), '0');
        return out;
    }
    out += digits.substr(0, static_cast<std::size_t>(point));
    out += '.';
    out += digits.substr(static_cast<std::size_t>(point));
    return out;
}

/// Go's `%v` of a float64: `%g` with the shortest digits, exponent form from 1e+06 or below
/// 1e-04.
std::string go_float(double d) {
    if (std::isnan(d)) {
        return "NaN";
    }
    if (std::isinf(d)) {
        return d > 0 ? "+Inf" : "-Inf";
    }
    if (d == 0) {
        return std::signbit(d) ? "-0" : "0";
    }
    std::string digits;
    int point = 0;
    shortest_digits(std::fabs(d), digits, point);
    const int exp = point - 1;
    if (exp < -4 || exp >= 6) {
        return format_e(digits, point, d < 0);
    }
    return format_f(digits, point, d < 0);
}

/// encoding/json's float64: fixed unless below 1e-6 or from 1e21, exponent without padding.
std::string json_float(double d) {
    if (d == 0) {
        return "0";
    }
    std::string digits;
    int point = 0;
    shortest_digits(std::fabs(d), digits, point);
    const double a = std::fabs(d);
    if (a < 1e-6 || a >= 1e21) {
        auto s = format_e(digits, point, d < 0);
        // e-07 -> e-7
        const auto e = s.find('e');
        if (s.size() == e + 4 && s[e + 2] == '0') {
            s.erase(e + 2, 1);
        }
        return s;
    }
    return format_f(digits, point, d < 0);
}

std::string go_string(const tval& t);

/// Go's `%v` of a decoded JSON value.
std::string go_value(const json::value& v) {
    switch (v.kind()) {
        case json::kind::null:
            return "<nil>";
        case json::kind::bool_:
            return v.get_bool() ? "true" : "false";
        case json::kind::int64:
            return std::to_string(v.get_int64());
        case json::kind::uint64:
            return std::to_string(v.get_uint64());
        case json::kind::double_:
            return go_float(v.get_double());
        case json::kind::string:
            return std::string(v.get_string());
        case json::kind::array: {
            std::string out = "[";
            bool first = true;
            for (const auto& e : v.get_array()) {
                out += first ? "" : " ";
                first = false;
                out += go_value(e);
            }
            return out + "]";
        }
        case json::kind::object: {
            std::vector<std::pair<std::string, const json::value*>> items;
            for (const auto& [k, e] : v.get_object()) {
                items.emplace_back(std::string(k), &e);
            }
            std::sort(items.begin(), items.end(),
                      [](const auto& a, const auto& b) { return a.first < b.first; });
            std::string out = "map[";
            bool first = true;
            for (const auto& [k, e] : items) {
                out += first ? "" : " ";
                first = false;
                out += k + ":" + go_value(*e);
            }
            return out + "]";
        }
    }
    return {};
}

std::string go_string(const tval& t) {
    return t.missing ? std::string("<no value>") : go_value(t.v);
}

/// Go's encoding/json string: HTML characters escaped unless `raw`.
void json_quote(std::string& out, std::string_view s, bool escape_html) {
    static constexpr char hex[] = "0123456789abcdef";
    out += '"';
    for (std::size_t i = 0; i < s.size(); ++i) {
        const auto c = static_cast<unsigned char>(s[i]);
        if (c == '"' || c == '\\') {
            out += '\\';
            out += static_cast<char>(c);
        } else if (c == '\n') {
            out += "\\n";
        } else if (c == '\r') {
            out += "\\r";
        } else if (c == '\t') {
            out += "\\t";
        } else if (c == '\b') {
            out += "\\b";  // as Go 1.22's encoding/json
        } else if (c == '\f') {
            out += "\\f";
        } else if (c < 0x20 || (escape_html && (c == '<' || c == '>' || c == '&'))) {
            out += "\\u00";
            out += hex[c >> 4];
            out += hex[c & 0xf];
        } else if (c == 0xE2 && i + 2 < s.size() && static_cast<unsigned char>(s[i + 1]) == 0x80
                   && (static_cast<unsigned char>(s[i + 2]) == 0xA8
                       || static_cast<unsigned char>(s[i + 2]) == 0xA9)) {
            out += static_cast<unsigned char>(s[i + 2]) == 0xA8 ? "\\u2028" : "\\u2029";
            i += 2;
        } else {
            out += static_cast<char>(c);
        }
    }
    out += '"';
}

/// Go's json.Marshal (objects by sorted key, as a map is), or MarshalIndent with `indent`.
void go_json(std::string& out, const json::value& v, bool escape_html, const std::string* indent,
             int depth) {
    const auto newline = [&](int d) {
        if (indent != nullptr) {
            out += '\n';
            for (int i = 0; i < d; ++i) {
                out += *indent;
            }
        }
    };
    switch (v.kind()) {
        case json::kind::null:
            out += "null";
            return;
        case json::kind::bool_:
            out += v.get_bool() ? "true" : "false";
            return;
        case json::kind::int64:
            out += std::to_string(v.get_int64());
            return;
        case json::kind::uint64:
            out += std::to_string(v.get_uint64());
            return;
        case json::kind::double_:
            out += json_float(v.get_double());
            return;
        case json::kind::string:
            json_quote(out, v.get_string(), escape_html);
            return;
        case json::kind::array: {
            const auto& a = v.get_array();
            out += '[';
            for (std::size_t i = 0; i < a.size(); ++i) {
                out += i == 0 ? "" : ",";
                newline(depth + 1);
                go_json(out, a[i], escape_html, indent, depth + 1);
            }
            if (!a.empty()) {
                newline(depth);
            }
            out += ']';
            return;
        }
        case json::kind::object: {
            std::vector<std::pair<std::string_view, const json::value*>> items;
            for (const auto& [k, e] : v.get_object()) {
                items.emplace_back(k, &e);
            }
            std::sort(items.begin(), items.end(),
                      [](const auto& a, const auto& b) { return a.first < b.first; });
            out += '{';
            for (std::size_t i = 0; i < items.size(); ++i) {
                out += i == 0 ? "" : ",";
                newline(depth + 1);
                json_quote(out, items[i].first, escape_html);
                out += indent != nullptr ? ": " : ":";
                go_json(out, *items[i].second, escape_html, indent, depth + 1);
            }
            if (!items.empty()) {
                newline(depth);
            }
            out += '}';
            return;
        }
    }
}

/// Go's truth of a value in `if`, `with`, `and`, `or`, `not`.
bool truth(const tval& t) {
    if (t.missing) {
        return false;
    }
    const auto& v = t.v;
    switch (v.kind()) {
        case json::kind::null:
            return false;
        case json::kind::bool_:
            return v.get_bool();
        case json::kind::int64:
            return v.get_int64() != 0;
        case json::kind::uint64:
            return v.get_uint64() != 0;
        case json::kind::double_:
            return v.get_double() != 0;
        case json::kind::string:
            return !v.get_string().empty();
        case json::kind::array:
            return !v.get_array().empty();
        case json::kind::object:
            return !v.get_object().empty();
    }
    return false;
}

/// How Go names the type of a decoded value, for messages.
std::string go_type(const tval& t) {
    if (t.missing) {
        return "<no value>";
    }
    switch (t.v.kind()) {
        case json::kind::null:
            return "interface {}";
        case json::kind::bool_:
            return "bool";
        case json::kind::int64:
        case json::kind::uint64:
            return "int";
        case json::kind::double_:
            return "float64";
        case json::kind::string:
            return "string";
        case json::kind::array:
            return "[]interface {}";
        case json::kind::object:
            return "map[string]interface {}";
    }
    return "?";
}

// ---------------------------------------------------------------------------------------------
// Lexing and parsing

struct position {
    int line = 1;
    int col = 1;
};

[[noreturn]] void fail_at(position p, const std::string& why) {
    throw error(errc::invalid_argument,
                "template: " + std::to_string(p.line) + ":" + std::to_string(p.col) + ": " + why);
}

enum class tok {
    ident,     // a name: function, keyword, true/false/nil
    field,     // .name
    dot,       // .
    variable,  // $ or $name
    string,    // "..." or `...` (unquoted)
    number,    // as written
    chr,       // 'x' (its code point, as a number)
    lparen,
    rparen,
    bar,
    declare,  // :=
    assign,   // =
    comma,
    end,  // the action's closing delimiter
};

struct token {
    tok kind;
    std::string text;
    position pos;
    bool spaced = false;  // whitespace came before it
};

struct pipe;

/// An operand: something that yields a value, then the fields taken from it.
struct operand {
    enum class base { dot, variable, literal, function, sub } kind = base::dot;
    std::string name;  // variable or function
    json::value literal{};
    std::shared_ptr<pipe> sub;
    std::vector<std::string> fields;
    position pos;
};

struct command {
    std::vector<operand> args;
    position pos;
};

struct pipe {
    std::vector<std::string> vars;  // declared or assigned
    bool declare = false;           // := rather than =
    std::vector<command> cmds;
    position pos;
};

struct node {
    enum class kind { text, action, if_, range, with, break_, continue_ } what = kind::text;
    std::string text;
    pipe p;
    std::vector<node> list;
    std::vector<node> else_list;
    position pos;
};

const char* const functions[] = {
    "and",      "or",        "not",       "len",       "index",   "slice",      "eq",
    "ne",       "lt",        "le",        "gt",        "ge",      "print",      "printf",
    "println",  "html",      "js",        "urlquery",  "toJson",  "toRawJson",  "toPrettyJson",
    "toString", "first",     "last",      "rest",      "initial", "join",       "splitList",
    "upper",    "lower",     "title",     "trim",      "trimAll", "trimPrefix", "trimSuffix",
    "replace",  "contains",  "hasPrefix", "hasSuffix", "quote",   "squote",     "default",
    "empty",    "coalesce",  "ternary",   "keys",      "hasKey",  "get",        "dict",
    "list",     "sortAlpha", "uniq",      "repeat",    "indent",  "nindent",    "trunc",
    "add",      "sub"};

bool is_function(std::string_view name) {
    return std::find(std::begin(functions), std::end(functions), name) != std::end(functions);
}

class parser {
  public:
    explicit parser(std::string_view src) : s_(src) {}

    std::vector<node> parse() {
        std::string stop;
        auto list = parse_list(stop);
        if (!stop.empty()) {
            fail_at(stop_pos_, "unexpected {{" + stop + "}}");
        }
        return list;
    }

  private:
    // Where `i` is in the source.
    // Positions are asked for in increasing order, mostly: counted on from the last one.
    position pos_of(std::size_t i) const {
        if (i < pos_at_) {
            pos_at_ = 0;
            pos_ = position{};
        }
        for (; pos_at_ < i && pos_at_ < s_.size(); ++pos_at_) {
            if (s_[pos_at_] == '\n') {
                ++pos_.line;
                pos_.col = 1;
            } else {
                ++pos_.col;
            }
        }
        return pos_;
    }

    static bool space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

    // Parses nodes until EOF (stop empty) or an {{end}}/{{else ...}} action, whose keyword is put
    // in `stop`; for `else`, the tokens after it are left in `pending_`.
    std::vector<node> parse_list(std::string& stop) {
        std::vector<node> out;
        while (at_ < s_.size()) {
            auto open = s_.find("{{", at_);
            std::string text(s_.substr(at_, open == std::string_view::npos ? open : open - at_));
            if (open == std::string_view::npos) {
                at_ = s_.size();
                trim_left_pending(text);
                push_text(out, std::move(text));
                break;
            }
            trim_left_pending(text);
            std::size_t i = open + 2;
            const bool trim_before = i + 1 < s_.size() && s_[i] == '-' && space(s_[i + 1]);
            if (trim_before) {
                while (!text.empty() && space(text.back())) {
                    text.pop_back();
                }
                i += 2;
            }
            push_text(out, std::move(text));
            const auto action_pos = pos_of(open);
            // A comment: {{/* ... */}}, trim markers allowed around it.
            std::size_t j = i;
            while (j < s_.size() && space(s_[j])) {
                ++j;
            }
            if (s_.substr(j, 2) == "/*") {
                const auto close = s_.find("*/", j + 2);
                if (close == std::string_view::npos) {
                    fail_at(action_pos, "unclosed comment");
                }
                std::size_t k = close + 2;
                bool trim_after = false;
                if (k + 3 < s_.size() && space(s_[k]) && s_.substr(k + 1, 3) == "-}}") {
                    trim_after = true;
                    k += 4;
                } else if (s_.substr(k, 2) == "}}") {
                    k += 2;
                } else {
                    fail_at(action_pos, "comment ends before closing delimiter");
                }
                at_ = k;
                trim_next_ = trim_after;
                continue;
            }
            at_ = i;
            auto toks = lex_action();
            if (toks.front().kind == tok::ident) {
                const auto& kw = toks.front().text;
                if (kw == "end" || kw == "else") {
                    if (kw == "end" && toks.size() != 2) {
                        fail_at(toks[1].pos, "unexpected " + toks[1].text + " in end");
                    }
                    stop = kw;
                    stop_pos_ = toks.front().pos;
                    pending_.assign(toks.begin() + 1, toks.end());
                    return out;
                }
                if (kw == "if" || kw == "range" || kw == "with") {
                    out.push_back(parse_control(
                        kw, std::vector<token>(toks.begin() + 1, toks.end()), toks.front().pos));
                    continue;
                }
                if (kw == "break" || kw == "continue") {
                    if (range_depth_ == 0) {
                        fail_at(toks.front().pos, "{{" + kw + "}} outside {{range}}");
                    }
                    node n;
                    n.what = kw == "break" ? node::kind::break_ : node::kind::continue_;
                    n.pos = toks.front().pos;
                    out.push_back(std::move(n));
                    continue;
                }
                if (kw == "define" || kw == "template" || kw == "block") {
                    fail_at(toks.front().pos, "{{" + kw + "}} is not supported here");
                }
            }
            node n;
            n.what = node::kind::action;
            n.pos = action_pos;
            std::size_t k = 0;
            n.p = parse_pipe(toks, k, true);
            expect_end(toks, k);
            if (n.p.cmds.empty()) {
                fail_at(action_pos, "missing value for command");
            }
            out.push_back(std::move(n));
        }
        return out;
    }

    void trim_left_pending(std::string& text) {
        if (trim_next_) {
            std::size_t k = 0;
            while (k < text.size() && space(text[k])) {
                ++k;
            }
            text.erase(0, k);
            trim_next_ = false;
        }
    }

    static void push_text(std::vector<node>& out, std::string text) {
        if (text.empty()) {
            return;
        }
        node n;
        n.what = node::kind::text;
        n.text = std::move(text);
        out.push_back(std::move(n));
    }

    node parse_control(const std::string& kw, std::vector<token> toks, position pos) {
        if (++depth_ > max_depth) {
            fail_at(pos, "max expression depth exceeded");
        }
        const auto scope = vars_.size();  // what the control declares ends with it
        struct leave {
            parser& p;
            std::size_t scope;
            ~leave() {
                --p.depth_;
                p.vars_.resize(scope);
            }
        } left{*this, scope};
        node n;
        n.what = kw == "if"      ? node::kind::if_
                 : kw == "range" ? node::kind::range
                                 : node::kind::with;
        n.pos = pos;
        std::size_t k = 0;
        n.p = parse_pipe(toks, k, true);
        expect_end(toks, k);
        if (n.p.cmds.empty()) {
            fail_at(pos, "missing value for " + kw);
        }
        if (n.what == node::kind::range) {
            ++range_depth_;
        }
        std::string stop;
        n.list = parse_list(stop);
        if (n.what == node::kind::range) {
            --range_depth_;
        }
        if (stop.empty()) {
            fail_at(pos, "unexpected EOF: {{" + kw + "}} without {{end}}");
        }
        if (stop == "else") {
            auto rest = std::move(pending_);
            pending_.clear();
            if (rest.size() > 1 && rest.front().kind == tok::ident
                && (rest.front().text == "if" || rest.front().text == "with")) {
                // {{else if ...}}: a nested control whose {{end}} closes this one too.
                const auto nested_kw = rest.front().text;
                const auto nested_pos = rest.front().pos;
                n.else_list.push_back(parse_control(
                    nested_kw, std::vector<token>(rest.begin() + 1, rest.end()), nested_pos));
                return n;
            }
            if (rest.size() != 1) {
                fail_at(rest.front().pos, "unexpected " + rest.front().text + " in else");
            }
            std::string stop2;
            n.else_list = parse_list(stop2);
            if (stop2 != "end") {
                fail_at(pos, stop2.empty() ? "unexpected EOF: {{" + kw + "}} without {{end}}"
                                           : "expected {{end}}, found {{else}}");
            }
        }
        return n;
    }

    static void expect_end(const std::vector<token>& toks, std::size_t k) {
        if (toks[k].kind != tok::end) {
            fail_at(toks[k].pos, "unexpected \"" + toks[k].text + "\" in command");
        }
    }

    // [vars := | =] command ('|' command)*, up to `end` or `)`.
    pipe parse_pipe(const std::vector<token>& t, std::size_t& k, bool top) {
        pipe p;
        p.pos = t[k].pos;
        // A declaration: $x := or $x, $y := (range), or an assignment $x =.
        std::size_t look = k;
        std::vector<std::string> vars;
        while (t[look].kind == tok::variable) {
            vars.push_back(t[look].text);
            if (t[look + 1].kind == tok::comma) {
                look += 2;
                continue;
            }
            ++look;
            break;
        }
        if (!vars.empty() && (t[look].kind == tok::declare || t[look].kind == tok::assign)) {
            p.vars = vars;
            p.declare = t[look].kind == tok::declare;
            if (!p.declare) {
                for (const auto& v : vars) {
                    check_variable(v, t[k].pos);
                }
            }
            k = look + 1;
        }
        for (;;) {
            if (t[k].kind == tok::end || t[k].kind == tok::rparen) {
                break;
            }
            command c;
            c.pos = t[k].pos;
            while (t[k].kind != tok::end && t[k].kind != tok::rparen && t[k].kind != tok::bar) {
                c.args.push_back(parse_operand(t, k));
            }
            if (c.args.empty()) {
                fail_at(t[k].pos, "missing command");
            }
            p.cmds.push_back(std::move(c));
            if (t[k].kind == tok::bar) {
                ++k;
                if (t[k].kind == tok::end || t[k].kind == tok::rparen) {
                    fail_at(t[k].pos, "missing command after |");
                }
            }
        }
        if (!top && t[k].kind != tok::rparen) {
            fail_at(t[k].pos, "unclosed left paren");
        }
        if (top && t[k].kind == tok::rparen) {
            fail_at(t[k].pos, "unexpected right paren");
        }
        if (p.cmds.empty() && !p.vars.empty()) {
            fail_at(p.pos, "missing value for declaration");
        }
        if (p.declare) {
            vars_.insert(vars_.end(), p.vars.begin(), p.vars.end());  // in scope after it
        }
        return p;
    }

    operand parse_operand(const std::vector<token>& t, std::size_t& k) {
        operand o;
        const auto& first = t[k];
        o.pos = first.pos;
        switch (first.kind) {
            case tok::dot:
                o.kind = operand::base::dot;
                ++k;
                break;
            case tok::field:
                o.kind = operand::base::dot;  // .a.b: fields of dot
                break;
            case tok::variable:
                o.kind = operand::base::variable;
                o.name = first.text;
                check_variable(o.name, first.pos);
                ++k;
                break;
            case tok::string:
                o.kind = operand::base::literal;
                o.literal = json::string(first.text);
                ++k;
                break;
            case tok::chr:
                o.kind = operand::base::literal;
                o.literal = static_cast<std::int64_t>(std::stoll(first.text));
                ++k;
                break;
            case tok::number:
                o.kind = operand::base::literal;
                o.literal = parse_number(first);
                ++k;
                break;
            case tok::ident:
                if (first.text == "true" || first.text == "false") {
                    o.kind = operand::base::literal;
                    o.literal = first.text == "true";
                } else if (first.text == "nil") {
                    o.kind = operand::base::literal;
                    o.literal = nullptr;
                } else {
                    if (!is_function(first.text)) {
                        fail_at(first.pos, "function \"" + first.text + "\" not defined");
                    }
                    o.kind = operand::base::function;
                    o.name = first.text;
                }
                ++k;
                break;
            case tok::lparen: {
                ++k;
                o.kind = operand::base::sub;
                if (++depth_ > max_depth) {
                    fail_at(first.pos, "max expression depth exceeded");
                }
                o.sub = std::make_shared<pipe>(parse_pipe(t, k, false));
                --depth_;
                if (o.sub->cmds.empty()) {
                    fail_at(first.pos, "missing value in parentheses");
                }
                ++k;  // the ')'
                break;
            }
            default:
                fail_at(first.pos, "unexpected \"" + first.text + "\" in operand");
        }
        // Fields taken from it: `.a.b`, `$x.a`, `(...).a` (no space before each).
        while (t[k].kind == tok::field && (&t[k] == &first || !t[k].spaced)) {
            o.fields.push_back(t[k].text);
            ++k;
        }
        if (o.kind == operand::base::literal && !o.fields.empty()) {
            fail_at(o.pos, "a literal has no fields");
        }
        return o;
    }

    void check_variable(const std::string& name, position pos) const {
        if (std::find(vars_.begin(), vars_.end(), name) == vars_.end()) {
            fail_at(pos, "undefined variable \"" + name + "\"");
        }
    }

    static constexpr int max_depth = 1000;

    static json::value parse_number(const token& t) {
        const auto& s = t.text;
        const bool is_float = s.find_first_of(".eEpP") != std::string::npos
                              && !(s.size() > 1 && (s[1] == 'x' || s[1] == 'X'));
        try {
            if (!is_float) {
                std::size_t used = 0;
                const auto v = std::stoll(s, &used, 0);
                if (used == s.size()) {
                    return static_cast<std::int64_t>(v);
                }
            }
            std::size_t used = 0;
            const auto d = std::stod(s, &used);
            if (used == s.size()) {
                return d;
            }
        } catch (const std::exception&) {
        }
        fail_at(t.pos, "bad number syntax: \"" + s + "\"");
    }

    // Tokens of one action from `at_`, up to and including its closing delimiter (`end`).
    std::vector<token> lex_action() {
        std::vector<token> out;
        for (;;) {
            bool spaced = false;
            while (at_ < s_.size() && space(s_[at_])) {
                // " -}}" (any white space before the marker): the trim marker.
                if (s_.substr(at_ + 1, 3) == "-}}") {
                    break;
                }
                ++at_;
                spaced = true;
            }
            if (at_ >= s_.size()) {
                fail_at(pos_of(at_), "unclosed action");
            }
            const auto pos = pos_of(at_);
            const char c = s_[at_];
            const auto add = [&](tok kind, std::string text, std::size_t width) {
                out.push_back(token{kind, std::move(text), pos, spaced});
                at_ += width;
            };
            if (space(c) && s_.substr(at_ + 1, 3) == "-}}") {
                trim_next_ = true;
                add(tok::end, "}}", 4);
                return out;
            }
            if (s_.substr(at_, 2) == "}}") {
                add(tok::end, "}}", 2);
                return out;
            }
            if (c == '(') {
                add(tok::lparen, "(", 1);
            } else if (c == ')') {
                add(tok::rparen, ")", 1);
            } else if (c == '|') {
                add(tok::bar, "|", 1);
            } else if (c == ',') {
                add(tok::comma, ",", 1);
            } else if (s_.substr(at_, 2) == ":=") {
                add(tok::declare, ":=", 2);
            } else if (c == '=') {
                add(tok::assign, "=", 1);
            } else if (c == '"') {
                std::string v;
                std::size_t i = at_ + 1;
                for (;; ++i) {
                    if (i >= s_.size() || s_[i] == '\n') {
                        fail_at(pos, "unterminated quoted string");
                    }
                    if (s_[i] == '"') {
                        break;
                    }
                    if (s_[i] == '\\') {
                        i = unescape(i, v, pos);
                        continue;
                    }
                    v += s_[i];
                }
                out.push_back(token{tok::string, std::move(v), pos, spaced});
                at_ = i + 1;
            } else if (c == '`') {
                const auto close = s_.find('`', at_ + 1);
                if (close == std::string_view::npos) {
                    fail_at(pos, "unterminated raw quoted string");
                }
                out.push_back(token{tok::string, std::string(s_.substr(at_ + 1, close - at_ - 1)),
                                    pos, spaced});
                at_ = close + 1;
            } else if (c == '\'') {
                std::string v;
                std::size_t i = at_ + 1;
                if (i < s_.size() && s_[i] == '\\') {
                    i = unescape(i, v, pos) + 1;
                } else {
                    // One UTF-8 sequence.
                    const auto lead = static_cast<unsigned char>(i < s_.size() ? s_[i] : 0);
                    const std::size_t n = lead < 0x80 ? 1 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4;
                    v = std::string(s_.substr(i, n));
                    i += n;
                }
                if (i >= s_.size() || s_[i] != '\'') {
                    fail_at(pos, "malformed character constant");
                }
                out.push_back(token{tok::chr, std::to_string(code_point(v)), pos, spaced});
                at_ = i + 1;
            } else if (c == '$') {
                std::size_t i = at_ + 1;
                while (i < s_.size()
                       && (std::isalnum(static_cast<unsigned char>(s_[i])) != 0 || s_[i] == '_')) {
                    ++i;
                }
                add(tok::variable, std::string(s_.substr(at_, i - at_)), i - at_);
            } else if (c == '.' && at_ + 1 < s_.size()
                       && (std::isalpha(static_cast<unsigned char>(s_[at_ + 1])) != 0
                           || s_[at_ + 1] == '_')) {
                std::size_t i = at_ + 1;
                while (i < s_.size()
                       && (std::isalnum(static_cast<unsigned char>(s_[i])) != 0 || s_[i] == '_')) {
                    ++i;
                }
                add(tok::field, std::string(s_.substr(at_ + 1, i - at_ - 1)), i - at_);
            } else if (c == '.'
                       && !(at_ + 1 < s_.size()
                            && std::isdigit(static_cast<unsigned char>(s_[at_ + 1])))) {
                add(tok::dot, ".", 1);
            } else if (std::isdigit(static_cast<unsigned char>(c)) != 0 || c == '.'
                       || ((c == '-' || c == '+') && at_ + 1 < s_.size()
                           && (std::isdigit(static_cast<unsigned char>(s_[at_ + 1])) != 0
                               || s_[at_ + 1] == '.'))) {
                std::size_t i = at_ + 1;
                while (i < s_.size()
                       && (std::isalnum(static_cast<unsigned char>(s_[i])) != 0 || s_[i] == '.'
                           || s_[i] == '_'
                           || ((s_[i] == '-' || s_[i] == '+')
                               && (s_[i - 1] == 'e' || s_[i - 1] == 'E' || s_[i - 1] == 'p'
                                   || s_[i - 1] == 'P')))) {
                    ++i;
                }
                std::string text(s_.substr(at_, i - at_));
                text.erase(std::remove(text.begin(), text.end(), '_'), text.end());
                add(tok::number, std::move(text), i - at_);
            } else if (std::isalpha(static_cast<unsigned char>(c)) != 0 || c == '_') {
                std::size_t i = at_ + 1;
                while (i < s_.size()
                       && (std::isalnum(static_cast<unsigned char>(s_[i])) != 0 || s_[i] == '_')) {
                    ++i;
                }
                add(tok::ident, std::string(s_.substr(at_, i - at_)), i - at_);
            } else {
                fail_at(pos, std::string("unexpected \"") + c + "\" in action");
            }
        }
    }

    static std::uint32_t code_point(const std::string& utf8) {
        if (utf8.empty()) {
            return 0;
        }
        const auto b = [&](std::size_t i) { return static_cast<unsigned char>(utf8[i]); };
        if (b(0) < 0x80 || utf8.size() == 1) {
            return b(0);
        }
        if (utf8.size() == 2) {
            return ((b(0) & 0x1Fu) << 6) | (b(1) & 0x3Fu);
        }
        if (utf8.size() == 3) {
            return ((b(0) & 0x0Fu) << 12) | ((b(1) & 0x3Fu) << 6) | (b(2) & 0x3Fu);
        }
        return ((b(0) & 0x07u) << 18) | ((b(1) & 0x3Fu) << 12) | ((b(2) & 0x3Fu) << 6)
               | (b(3) & 0x3Fu);
    }

    static void append_utf8(std::string& out, std::uint32_t cp) {
        if (cp < 0x80) {
            out += static_cast<char>(cp);
        } else if (cp < 0x800) {
            out += static_cast<char>(0xC0 | (cp >> 6));
            out += static_cast<char>(0x80 | (cp & 0x3F));
        } else if (cp < 0x10000) {
            out += static_cast<char>(0xE0 | (cp >> 12));
            out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
            out += static_cast<char>(0x80 | (cp & 0x3F));
        } else {
            out += static_cast<char>(0xF0 | (cp >> 18));
            out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
            out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
            out += static_cast<char>(0x80 | (cp & 0x3F));
        }
    }

    // The escape at s_[i] ('\\'), appended to `v`; returns the index of its last character.
    std::size_t unescape(std::size_t i, std::string& v, position pos) const {
        if (i + 1 >= s_.size()) {
            fail_at(pos, "unterminated escape");
        }
        const char e = s_[i + 1];
        const auto hex_digits = [&](std::size_t from, std::size_t n) {
            std::uint32_t cp = 0;
            for (std::size_t k = 0; k < n; ++k) {
                const char h = from + k < s_.size() ? s_[from + k] : '\0';
                cp <<= 4;
                if (h >= '0' && h <= '9') {
                    cp |= static_cast<std::uint32_t>(h - '0');
                } else if (h >= 'a' && h <= 'f') {
                    cp |= static_cast<std::uint32_t>(h - 'a' + 10);
                } else if (h >= 'A' && h <= 'F') {
                    cp |= static_cast<std::uint32_t>(h - 'A' + 10);
                } else {
                    fail_at(pos, "invalid escape in quoted string");
                }
            }
            return cp;
        };
        switch (e) {
            case 'n':
                v += '\n';
                return i + 1;
            case 't':
                v += '\t';
                return i + 1;
            case 'r':
                v += '\r';
                return i + 1;
            case 'a':
                v += '\a';
                return i + 1;
            case 'b':
                v += '\b';
                return i + 1;
            case 'f':
                v += '\f';
                return i + 1;
            case 'v':
                v += '\v';
                return i + 1;
            case '\\':
            case '"':
            case '\'':
                v += e;
                return i + 1;
            case 'x':
                v += static_cast<char>(hex_digits(i + 2, 2));
                return i + 3;
            case 'u':
                append_utf8(v, hex_digits(i + 2, 4));
                return i + 5;
            case 'U':
                append_utf8(v, hex_digits(i + 2, 8));
                return i + 9;
            default:
                if (e >= '0' && e <= '7' && i + 3 < s_.size()) {
                    int value = 0;
                    for (std::size_t k = 1; k <= 3; ++k) {
                        const char o = s_[i + k];
                        if (o < '0' || o > '7') {
                            fail_at(pos, "invalid escape in quoted string");
                        }
                        value = value * 8 + (o - '0');
                    }
                    v += static_cast<char>(value);
                    return i + 3;
                }
                fail_at(pos, std::string("unknown escape \\") + e);
        }
    }

    std::string_view s_;
    mutable std::size_t pos_at_ = 0;
    mutable position pos_{};
    std::size_t at_ = 0;
    bool trim_next_ = false;
    std::vector<std::string> vars_{"$"};  // declared so far, in scope
    int depth_ = 0;                       // nesting of controls and parentheses
    std::vector<token> pending_;
    position stop_pos_;
    int range_depth_ = 0;
};

// ---------------------------------------------------------------------------------------------
// Execution

struct break_signal {};
struct continue_signal {};

class executor {
  public:
    explicit executor(const json::value& data) : root_(of(as_go_data(data))) {
        vars_.emplace_back("$", root_);
    }

    std::string run(const std::vector<node>& list) {
        walk(list, root_);
        return std::move(out_);
    }

  private:
    using args_t = std::vector<tval>;

    // What a template may print: a hostile one (`repeat` in `range`) must not fill the memory.
    static constexpr std::size_t max_output = 64 * 1024 * 1024;

    static void check_room(std::size_t have, std::size_t more) {
        if (have + more > max_output) {
            throw error(errc::invalid_argument, "template: the output exceeds 64 MiB");
        }
    }

    void emit(const std::string& s) {
        check_room(out_.size(), s.size());
        out_ += s;
    }

    // What a template may do: a hostile one (`range 155555555` with an action in it) must not
    // run for minutes printing nothing. Ten million steps (actions, commands, iterations, and
    // a step per 64 bytes a function builds) is far above a listing of 100,000 tags.
    static constexpr std::uint64_t max_steps = 10'000'000;

    void tick(std::uint64_t n = 1) {
        steps_ += n;
        if (steps_ > max_steps) {
            throw error(errc::invalid_argument,
                        "template: execution stopped after 10000000 steps (a range too long?)");
        }
    }

    void walk(const std::vector<node>& list, const tval& dot) {
        for (const auto& n : list) {
            tick();
            switch (n.what) {
                case node::kind::text:
                    emit(n.text);
                    break;
                case node::kind::action: {
                    const auto v = eval_pipe(n.p, dot);
                    if (n.p.vars.empty()) {
                        // A nil interface printed by itself is no value to Go, as a missing key.
                        emit(v.missing || v.v.is_null() ? std::string("<no value>") : go_string(v));
                    }
                    break;
                }
                case node::kind::if_:
                case node::kind::with: {
                    const auto mark = vars_.size();
                    const auto v = eval_pipe(n.p, dot);
                    if (truth(v)) {
                        walk(n.list, n.what == node::kind::with ? v : dot);
                    } else {
                        walk(n.else_list, dot);
                    }
                    vars_.resize(mark);
                    break;
                }
                case node::kind::range:
                    range(n, dot);
                    break;
                case node::kind::break_:
                    throw break_signal{};
                case node::kind::continue_:
                    throw continue_signal{};
            }
        }
    }

    void range(const node& n, const tval& dot) {
        const auto mark = vars_.size();
        pipe p = n.p;
        auto vars = std::move(p.vars);
        p.vars.clear();
        if (vars.size() > 2) {
            fail_at(n.pos, "too many declarations in range");
        }
        const auto v = eval_pipe(p, dot);
        std::vector<std::pair<tval, tval>> items;  // key, element
        if (!v.missing && v.v.is_array()) {
            std::int64_t i = 0;
            for (const auto& e : v.v.get_array()) {
                items.emplace_back(of(i++), of(e));
            }
        } else if (!v.missing && v.v.is_object()) {
            std::vector<std::pair<std::string, const json::value*>> sorted;
            for (const auto& [k, e] : v.v.get_object()) {
                sorted.emplace_back(std::string(k), &e);
            }
            std::sort(sorted.begin(), sorted.end(),
                      [](const auto& a, const auto& b) { return a.first < b.first; });
            for (const auto& [k, e] : sorted) {
                items.emplace_back(of(json::string(k)), of(*e));
            }
        } else if (!v.missing && v.v.is_int64()) {
            range_count(n, dot, vars, v.v.get_int64());
            vars_.resize(mark);
            return;
        } else if (!v.missing && !v.v.is_null()) {
            fail_at(n.pos, "range can't iterate over " + go_string(v));
        }
        if (items.empty()) {
            walk(n.else_list, dot);
            vars_.resize(mark);
            return;
        }
        for (const auto& [key, elem] : items) {
            tick();
            const auto inner = vars_.size();
            if (vars.size() == 1) {
                vars_.emplace_back(vars[0], elem);
            } else if (vars.size() == 2) {
                vars_.emplace_back(vars[0], key);
                vars_.emplace_back(vars[1], elem);
            }
            try {
                walk(n.list, elem);
            } catch (const continue_signal&) {
            } catch (const break_signal&) {
                vars_.resize(inner);
                break;
            }
            vars_.resize(inner);
        }
        vars_.resize(mark);
    }

    // `range N` (Go 1.22): 0 to N-1, one at a time.
    void range_count(const node& n, const tval& dot, const std::vector<std::string>& vars,
                     std::int64_t count) {
        if (count <= 0) {
            walk(n.else_list, dot);
            return;
        }
        if (vars.size() > 1) {
            fail_at(n.pos, "can't use two iteration variables over an integer");
        }
        for (std::int64_t i = 0; i < count; ++i) {
            tick();
            const auto inner = vars_.size();
            if (vars.size() == 1) {
                vars_.emplace_back(vars[0], of(i));
            }
            try {
                walk(n.list, of(i));
            } catch (const continue_signal&) {
            } catch (const break_signal&) {
                vars_.resize(inner);
                break;
            }
            vars_.resize(inner);
        }
    }

    tval eval_pipe(const pipe& p, const tval& dot) {
        tval value = tval::none();
        bool has = false;
        for (const auto& c : p.cmds) {
            value = eval_command(c, dot, has ? &value : nullptr);
            has = true;
        }
        for (const auto& name : p.vars) {
            if (p.declare) {
                vars_.emplace_back(name, value);
            } else {
                variable(name, p.pos) = value;
            }
        }
        return value;
    }

    tval& variable(const std::string& name, position pos) {
        for (auto it = vars_.rbegin(); it != vars_.rend(); ++it) {
            if (it->first == name) {
                return it->second;
            }
        }
        fail_at(pos, "undefined variable: " + name);
    }

    tval eval_command(const command& c, const tval& dot, const tval* final_value) {
        tick();
        const auto& head = c.args.front();
        if (head.kind == operand::base::function && head.fields.empty()) {
            args_t args;
            // `and` and `or` stop at the first argument that decides.
            if (head.name == "and" || head.name == "or") {
                const bool is_and = head.name == "and";
                if (c.args.size() + (final_value != nullptr ? 1 : 0) < 2) {
                    fail_at(head.pos,
                            "wrong number of args for " + head.name + ": want at least 1");
                }
                tval last = tval::none();
                for (std::size_t i = 1; i <= c.args.size(); ++i) {
                    if (i == c.args.size()) {
                        if (final_value == nullptr) {
                            break;
                        }
                        last = *final_value;
                    } else {
                        last = eval_operand(c.args[i], dot);
                    }
                    if (truth(last) != is_and) {
                        return last;
                    }
                }
                return last;
            }
            // A missing value reaches a function as nil, as in Go.
            const auto as_arg = [](tval v) { return v.missing ? of(nullptr) : v; };
            for (std::size_t i = 1; i < c.args.size(); ++i) {
                args.push_back(as_arg(eval_operand(c.args[i], dot)));
            }
            if (final_value != nullptr) {
                args.push_back(as_arg(*final_value));
            }
            return call(head.name, args, head.pos);
        }
        if (c.args.size() > 1 || final_value != nullptr) {
            fail_at(head.pos, "can't give argument to non-function " + describe(head));
        }
        return eval_operand(head, dot);
    }

    static std::string describe(const operand& o) {
        std::string s;
        switch (o.kind) {
            case operand::base::dot:
                s = o.fields.empty() ? "." : "";
                break;
            case operand::base::variable:
            case operand::base::function:
                s = o.name;
                break;
            case operand::base::literal:
                s = json::serialize(o.literal);
                break;
            case operand::base::sub:
                s = "(...)";
                break;
        }
        for (const auto& f : o.fields) {
            s += "." + f;
        }
        return s;
    }

    tval eval_operand(const operand& o, const tval& dot) {
        tval v;
        switch (o.kind) {
            case operand::base::dot:
                v = dot;
                break;
            case operand::base::variable:
                v = variable(o.name, o.pos);
                break;
            case operand::base::literal:
                v = of(o.literal);
                break;
            case operand::base::function: {
                args_t none;
                v = call(o.name, none, o.pos);
                break;
            }
            case operand::base::sub:
                v = eval_pipe(*o.sub, dot);
                break;
        }
        for (const auto& f : o.fields) {
            if (v.missing) {
                continue;  // a field of no value is no value (Go's zero reflect.Value)
            }
            if (v.v.is_null()) {
                fail_at(o.pos, "nil pointer evaluating interface {}." + f);
            }
            if (!v.v.is_object()) {
                fail_at(o.pos, "can't evaluate field " + f + " in type " + go_type(v));
            }
            const auto* found = v.v.get_object().if_contains(f);
            v = found != nullptr ? of(*found) : tval::none();
        }
        return v;
    }

    // ---- functions

    [[noreturn]] static void bad_args(const std::string& name, position pos,
                                      const std::string& why) {
        fail_at(pos, "error calling " + name + ": " + why);
    }

    static void want(const std::string& name, const args_t& a, std::size_t n, position pos) {
        if (a.size() != n) {
            fail_at(pos, "wrong number of args for " + name + ": want " + std::to_string(n)
                             + " got " + std::to_string(a.size()));
        }
    }

    static std::string str_arg(const std::string& name, const tval& t, position pos) {
        if (!t.missing && t.v.is_string()) {
            return std::string(t.v.get_string());
        }
        bad_args(name, pos, "expected a string, got " + go_type(t));
    }

    static bool number(const tval& t, double& out) {
        if (t.missing) {
            return false;
        }
        if (t.v.is_int64()) {
            out = static_cast<double>(t.v.get_int64());
            return true;
        }
        if (t.v.is_uint64()) {
            out = static_cast<double>(t.v.get_uint64());
            return true;
        }
        if (t.v.is_double()) {
            out = t.v.get_double();
            return true;
        }
        return false;
    }

    static std::int64_t int_arg(const std::string& name, const tval& t, position pos) {
        double d = 0;
        if (number(t, d) && d == std::floor(d) && std::fabs(d) < 9.2e18) {
            return static_cast<std::int64_t>(d);
        }
        bad_args(name, pos, "expected an integer, got " + go_string(t));
    }

    static json::array list_arg(const std::string& name, const tval& t, position pos) {
        if (!t.missing && t.v.is_array()) {
            return t.v.get_array();
        }
        if (t.missing || t.v.is_null()) {
            return {};
        }
        bad_args(name, pos, "expected a list, got " + go_type(t));
    }

    // Go's comparison for eq/ne: basic values by value (numbers across int and float).
    static bool equal(const tval& a, const tval& b, const std::string& name, position pos) {
        double x = 0;
        double y = 0;
        if (number(a, x) && number(b, y)) {
            return x == y;
        }
        if (a.missing || b.missing) {
            return a.missing && b.missing;
        }
        if (a.v.kind() != b.v.kind()) {
            if (a.v.is_null() || b.v.is_null()) {
                return false;
            }
            bad_args(name, pos, "incompatible types for comparison");
        }
        if (a.v.is_array() || a.v.is_object()) {
            bad_args(name, pos, "non-comparable type " + go_type(a));
        }
        return a.v == b.v;
    }

    static int order(const tval& a, const tval& b, const std::string& name, position pos) {
        double x = 0;
        double y = 0;
        if (number(a, x) && number(b, y)) {
            return x < y ? -1 : x > y ? 1 : 0;
        }
        if (!a.missing && !b.missing && a.v.is_string() && b.v.is_string()) {
            const auto c = a.v.get_string().compare(b.v.get_string());
            return c < 0 ? -1 : c > 0 ? 1 : 0;
        }
        bad_args(name, pos, "incompatible types for comparison");
    }

    // fmt.Sprint: spaces between operands when neither side is a string.
    static std::string sprint(const args_t& a) {
        std::string out;
        for (std::size_t i = 0; i < a.size(); ++i) {
            const bool is_str = !a[i].missing && a[i].v.is_string();
            const bool prev_str = i > 0 && !a[i - 1].missing && a[i - 1].v.is_string();
            if (i > 0 && !is_str && !prev_str) {
                out += ' ';
            }
            out += go_string(a[i]);
        }
        return out;
    }

    static std::string quote_go(const std::string& s) {
        // strconv.Quote, close enough for printable text: JSON escaping without HTML escapes.
        std::string out;
        json_quote(out, s, false);
        return out;
    }

    static std::string sprintf(const std::string& name, const args_t& a, position pos) {
        const auto format = str_arg(name, a.at(0), pos);
        std::string out;
        std::size_t next = 1;
        for (std::size_t i = 0; i < format.size(); ++i) {
            if (format[i] != '%') {
                out += format[i];
                continue;
            }
            // %[flags][width][.precision]verb, as fmt parses it.
            std::size_t j = i + 1;
            std::string flags;
            while (j < format.size()
                   && std::string_view("+-# 0").find(format[j]) != std::string_view::npos) {
                flags += format[j++];
            }
            // fmt refuses widths and precisions past a million; so does this (the padding and
            // snprintf's buffer are made from them).
            constexpr std::size_t too_large = 1'000'000;
            const auto number_at = [&](std::size_t& at, bool& bad) {
                std::size_t n = 0;
                while (at < format.size() && format[at] >= '0' && format[at] <= '9') {
                    n = n * 10 + static_cast<std::size_t>(format[at++] - '0');
                    if (n > too_large) {
                        bad = true;
                        n = too_large;
                    }
                }
                return n;
            };
            bool bad_width = false;
            bool bad_prec = false;
            const bool has_width = j < format.size() && format[j] >= '0' && format[j] <= '9';
            const auto width = number_at(j, bad_width);
            bool has_prec = false;
            std::size_t prec = 0;
            if (j < format.size() && format[j] == '.') {
                ++j;
                has_prec = true;
                prec = number_at(j, bad_prec);
            }
            if (j >= format.size()) {
                out += "%!(NOVERB)";
                break;
            }
            const char verb = format[j];
            i = j;
            if (bad_width || bad_prec) {
                out += bad_width ? "%!(BADWIDTH)" : "%!(BADPREC)";
                continue;
            }
            if (verb == '%') {
                out += '%';
                continue;
            }
            if (next >= a.size()) {
                out += std::string("%!") + verb + "(MISSING)";
                continue;
            }
            const auto& v = a[next++];
            std::string piece;
            double d = 0;
            bool padded = false;  // snprintf applied the width itself
            switch (verb) {
                case 'v':
                case 's':
                    piece = go_string(v);
                    break;
                case 'q':
                    piece = quote_go(go_string(v));
                    break;
                case 'd':
                    if (number(v, d) && d == std::floor(d) && std::fabs(d) < 9.2e18) {
                        piece = std::to_string(static_cast<std::int64_t>(d));
                    } else {
                        piece = "%!d(" + go_type(v) + "=" + go_string(v) + ")";
                    }
                    break;
                case 'f':
                case 'g':
                case 'e': {
                    if (!number(v, d)) {
                        piece =
                            std::string("%!") + verb + "(" + go_type(v) + "=" + go_string(v) + ")";
                        break;
                    }
                    if (verb == 'g' && flags.empty() && !has_width && !has_prec) {
                        piece = go_float(d);
                        break;
                    }
                    std::string spec = "%" + flags;
                    if (has_width) {
                        spec += std::to_string(width);
                    }
                    if (has_prec || verb == 'f') {
                        spec += "." + std::to_string(has_prec ? prec : 6);
                    }
                    spec += verb;
                    std::vector<char> buf(width + prec + 400);
                    std::snprintf(buf.data(), buf.size(), spec.c_str(), d);
                    piece = buf.data();
                    padded = true;
                    break;
                }
                case 't':
                    piece = !v.missing && v.v.is_bool()
                                ? go_string(v)
                                : "%!t(" + go_type(v) + "=" + go_string(v) + ")";
                    break;
                default:
                    piece = go_string(v);
            }
            if (!padded && piece.size() < width) {
                const bool left = flags.find('-') != std::string::npos;
                piece = left ? piece + std::string(width - piece.size(), ' ')
                             : std::string(width - piece.size(), ' ') + piece;
            }
            check_room(out.size(), piece.size());
            out += piece;
        }
        if (next < a.size()) {
            out += "%!(EXTRA ";
            for (std::size_t k = next; k < a.size(); ++k) {
                out += (k == next ? "" : ", ") + go_type(a[k]) + "=" + go_string(a[k]);
            }
            out += ")";
        }
        return out;
    }

    static std::string replace_all(std::string s, const std::string& from, const std::string& to) {
        if (from.empty()) {
            return s;
        }
        std::string out;
        std::size_t at = 0;
        for (auto hit = s.find(from); hit != std::string::npos; hit = s.find(from, at)) {
            out += s.substr(at, hit - at) + to;
            at = hit + from.size();
        }
        return out + s.substr(at);
    }

    tval call(const std::string& name, const args_t& a, position pos) {
        // Go's own functions. `and` and `or` with their arguments evaluated (a command
        // evaluates them lazily itself; here they come from a chain such as `or.x`).
        if (name == "and" || name == "or") {
            if (a.empty()) {
                fail_at(pos, "wrong number of args for " + name + ": want at least 1 got 0");
            }
            for (const auto& v : a) {
                if (truth(v) != (name == "and")) {
                    return v;
                }
            }
            return a.back();
        }
        if (name == "not") {
            want(name, a, 1, pos);
            return of(!truth(a[0]));
        }
        if (name == "len") {
            want(name, a, 1, pos);
            const auto& t = a[0];
            if (!t.missing && t.v.is_string()) {
                return of(static_cast<std::int64_t>(t.v.get_string().size()));
            }
            if (!t.missing && t.v.is_array()) {
                return of(static_cast<std::int64_t>(t.v.get_array().size()));
            }
            if (!t.missing && t.v.is_object()) {
                return of(static_cast<std::int64_t>(t.v.get_object().size()));
            }
            bad_args(name, pos, "len of " + go_type(t));
        }
        if (name == "index") {
            if (a.empty()) {
                fail_at(pos, "wrong number of args for index: want at least 1 got 0");
            }
            tval v = a[0];
            for (std::size_t i = 1; i < a.size(); ++i) {
                if (!v.missing && v.v.is_array()) {
                    const auto k = int_arg(name, a[i], pos);
                    const auto& arr = v.v.get_array();
                    if (k < 0 || static_cast<std::size_t>(k) >= arr.size()) {
                        bad_args(name, pos, "index out of range: " + std::to_string(k));
                    }
                    v = of(arr[static_cast<std::size_t>(k)]);
                } else if (!v.missing && v.v.is_object()) {
                    const auto key = str_arg(name, a[i], pos);
                    const auto* found = v.v.get_object().if_contains(key);
                    v = found != nullptr ? of(*found) : tval::none();
                } else if (v.missing || v.v.is_null()) {
                    bad_args(name, pos, "index of untyped nil");
                } else {
                    bad_args(name, pos, "can't index item of type " + go_type(v));
                }
            }
            return v;
        }
        if (name == "slice") {
            if (a.empty() || a.size() > 3) {
                fail_at(pos, "wrong number of args for slice");
            }
            const auto& t = a[0];
            const bool is_str = !t.missing && t.v.is_string();
            const auto list = is_str ? json::array{} : list_arg(name, t, pos);
            const std::size_t size = is_str ? t.v.get_string().size() : list.size();
            const auto from = a.size() > 1 ? int_arg(name, a[1], pos) : 0;
            const auto to =
                a.size() > 2 ? int_arg(name, a[2], pos) : static_cast<std::int64_t>(size);
            if (from < 0 || to < from || static_cast<std::size_t>(to) > size) {
                bad_args(name, pos, "index out of range");
            }
            if (is_str) {
                const std::string_view text = t.v.get_string();
                return of(json::string(text.substr(static_cast<std::size_t>(from),
                                                   static_cast<std::size_t>(to - from))));
            }
            json::array out(list.begin() + from, list.begin() + to);
            return of(std::move(out));
        }
        if (name == "eq") {
            if (a.size() < 2) {
                fail_at(pos, "wrong number of args for eq: want at least 2");
            }
            for (std::size_t i = 1; i < a.size(); ++i) {
                if (equal(a[0], a[i], name, pos)) {
                    return of(true);
                }
            }
            return of(false);
        }
        if (name == "ne") {
            want(name, a, 2, pos);
            return of(!equal(a[0], a[1], name, pos));
        }
        if (name == "lt" || name == "le" || name == "gt" || name == "ge") {
            want(name, a, 2, pos);
            const int c = order(a[0], a[1], name, pos);
            return of(name == "lt" ? c < 0 : name == "le" ? c <= 0 : name == "gt" ? c > 0 : c >= 0);
        }
        if (name == "print") {
            return of(json::string(sprint(a)));
        }
        if (name == "println") {
            std::string out;
            for (std::size_t i = 0; i < a.size(); ++i) {
                out += (i == 0 ? "" : " ") + go_string(a[i]);
            }
            return of(json::string(out + "\n"));
        }
        if (name == "printf") {
            if (a.empty()) {
                fail_at(pos, "wrong number of args for printf: want at least 1 got 0");
            }
            return of(json::string(sprintf(name, a, pos)));
        }
        if (name == "html" || name == "js" || name == "urlquery") {
            const auto s = sprint(a);
            std::string out;
            for (const char ch : s) {
                const auto u = static_cast<unsigned char>(ch);
                if (name == "html") {
                    switch (ch) {
                        case '<':
                            out += "&lt;";
                            break;
                        case '>':
                            out += "&gt;";
                            break;
                        case '&':
                            out += "&amp;";
                            break;
                        case '"':
                            out += "&#34;";
                            break;
                        case '\'':
                            out += "&#39;";
                            break;
                        default:
                            out += ch;
                    }
                } else if (name == "js") {
                    if (ch == '\\' || ch == '\'' || ch == '"') {
                        out += '\\';
                        out += ch;
                    } else if (ch == '<' || ch == '>' || ch == '&' || ch == '=' || u < 0x20) {
                        char buf[8];
                        std::snprintf(buf, sizeof buf, "\\u%04X", u);
                        out += buf;
                    } else {
                        out += ch;
                    }
                } else if (std::isalnum(u) != 0 || ch == '-' || ch == '_' || ch == '.'
                           || ch == '~') {
                    out += ch;
                } else if (ch == ' ') {
                    out += '+';
                } else {
                    char buf[4];
                    std::snprintf(buf, sizeof buf, "%%%02X", u);
                    out += buf;
                }
            }
            return of(json::string(out));
        }
        // sprig.
        if (name == "toJson" || name == "toRawJson" || name == "toPrettyJson") {
            want(name, a, 1, pos);
            std::string out;
            const std::string indent = "  ";
            if (!a[0].missing) {
                go_json(out, a[0].v, name != "toRawJson",
                        name == "toPrettyJson" ? &indent : nullptr, 0);
            } else {
                out = "null";
            }
            return of(json::string(out));
        }
        if (name == "toString") {
            want(name, a, 1, pos);
            return of(json::string(go_string(a[0])));
        }
        if (name == "first" || name == "last") {
            want(name, a, 1, pos);
            const auto l = list_arg(name, a[0], pos);
            if (l.empty()) {
                return of(nullptr);
            }
            return of(name == "first" ? l.front() : l.back());
        }
        if (name == "rest" || name == "initial") {
            want(name, a, 1, pos);
            const auto l = list_arg(name, a[0], pos);
            if (l.empty()) {
                return of(json::array{});
            }
            return of(name == "rest" ? json::array(l.begin() + 1, l.end())
                                     : json::array(l.begin(), l.end() - 1));
        }
        if (name == "join") {
            want(name, a, 2, pos);
            const auto sep = go_string(a[0]);
            std::string out;
            if (!a[1].missing && a[1].v.is_array()) {
                bool first = true;
                for (const auto& e : a[1].v.get_array()) {
                    if (e.is_null()) {
                        continue;  // sprig drops nil entries
                    }
                    out += first ? "" : sep;
                    first = false;
                    out += go_value(e);
                }
            } else if (!a[1].v.is_null()) {
                out = go_string(a[1]);
            }
            return of(json::string(out));
        }
        if (name == "splitList") {
            want(name, a, 2, pos);
            const auto sep = str_arg(name, a[0], pos);
            const auto s = str_arg(name, a[1], pos);
            json::array out;
            if (sep.empty()) {
                for (const char ch : s) {
                    out.push_back(json::string(1, ch));
                }
                return of(std::move(out));
            }
            std::size_t at = 0;
            for (auto hit = s.find(sep); hit != std::string::npos; hit = s.find(sep, at)) {
                out.push_back(json::string(s.substr(at, hit - at)));
                at = hit + sep.size();
            }
            out.push_back(json::string(s.substr(at)));
            return of(std::move(out));
        }
        if (name == "upper" || name == "lower" || name == "title") {
            want(name, a, 1, pos);
            auto s = go_string(a[0]);
            bool start = true;
            for (auto& ch : s) {
                const auto u = static_cast<unsigned char>(ch);
                if (name == "upper") {
                    ch = static_cast<char>(std::toupper(u));
                } else if (name == "lower") {
                    ch = static_cast<char>(std::tolower(u));
                } else {
                    if (start && std::isalpha(u) != 0) {
                        ch = static_cast<char>(std::toupper(u));
                    }
                    start = std::isspace(u) != 0;
                }
            }
            return of(json::string(s));
        }
        if (name == "trim") {
            want(name, a, 1, pos);
            auto s = go_string(a[0]);
            const auto b = s.find_first_not_of(" \t\r\n\v\f");
            if (b == std::string::npos) {
                return of(json::string());
            }
            const auto e = s.find_last_not_of(" \t\r\n\v\f");
            return of(json::string(s.substr(b, e - b + 1)));
        }
        if (name == "trimAll") {
            want(name, a, 2, pos);
            const auto cut = go_string(a[0]);
            auto s = go_string(a[1]);
            const auto b = s.find_first_not_of(cut);
            if (b == std::string::npos) {
                return of(json::string());
            }
            const auto e = s.find_last_not_of(cut);
            return of(json::string(s.substr(b, e - b + 1)));
        }
        if (name == "trimPrefix" || name == "trimSuffix") {
            want(name, a, 2, pos);
            const auto fix = go_string(a[0]);
            auto s = go_string(a[1]);
            if (name == "trimPrefix" && s.starts_with(fix)) {
                s.erase(0, fix.size());
            } else if (name == "trimSuffix" && s.ends_with(fix)) {
                s.resize(s.size() - fix.size());
            }
            return of(json::string(s));
        }
        if (name == "replace") {
            want(name, a, 3, pos);
            return of(json::string(replace_all(go_string(a[2]), go_string(a[0]), go_string(a[1]))));
        }
        if (name == "contains" || name == "hasPrefix" || name == "hasSuffix") {
            want(name, a, 2, pos);
            const auto part = go_string(a[0]);
            const auto s = go_string(a[1]);
            return of(name == "contains"    ? s.find(part) != std::string::npos
                      : name == "hasPrefix" ? s.starts_with(part)
                                            : s.ends_with(part));
        }
        if (name == "quote" || name == "squote") {
            std::string out;
            for (std::size_t i = 0; i < a.size(); ++i) {
                if (a[i].missing || a[i].v.is_null()) {
                    continue;
                }
                out += out.empty() ? "" : " ";
                out += name == "quote" ? quote_go(go_string(a[i])) : "'" + go_string(a[i]) + "'";
            }
            return of(json::string(out));
        }
        if (name == "default") {
            if (a.size() == 1) {
                return a[0];
            }
            want(name, a, 2, pos);
            return truth(a[1]) ? a[1] : a[0];
        }
        if (name == "empty") {
            want(name, a, 1, pos);
            return of(!truth(a[0]));
        }
        if (name == "coalesce") {
            for (const auto& v : a) {
                if (truth(v)) {
                    return v;
                }
            }
            return of(nullptr);
        }
        if (name == "ternary") {
            want(name, a, 3, pos);
            return truth(a[2]) ? a[0] : a[1];
        }
        if (name == "keys") {
            json::array out;
            for (const auto& m : a) {
                if (m.missing || !m.v.is_object()) {
                    bad_args(name, pos, "expected a map, got " + go_type(m));
                }
                for (const auto& kv : m.v.get_object()) {
                    out.push_back(json::string(kv.key()));
                }
            }
            return of(std::move(out));
        }
        if (name == "hasKey" || name == "get") {
            want(name, a, 2, pos);
            if (a[0].missing || !a[0].v.is_object()) {
                bad_args(name, pos, "expected a map, got " + go_type(a[0]));
            }
            const auto* found = a[0].v.get_object().if_contains(go_string(a[1]));
            if (name == "hasKey") {
                return of(found != nullptr);
            }
            return of(found != nullptr ? *found : json::value(json::string()));
        }
        if (name == "dict") {
            // Pairs; a key without its value maps to "", as sprig's.
            json::object out;
            for (std::size_t i = 0; i < a.size(); i += 2) {
                const auto key = go_string(a[i]);
                if (i + 1 < a.size()) {
                    out[key] = a[i + 1].missing ? json::value() : a[i + 1].v;
                } else {
                    out[key] = json::string();
                }
            }
            return of(std::move(out));
        }
        if (name == "list") {
            json::array out;
            for (const auto& v : a) {
                out.push_back(v.missing ? json::value() : v.v);
            }
            return of(std::move(out));
        }
        if (name == "sortAlpha" || name == "uniq") {
            want(name, a, 1, pos);
            auto l = list_arg(name, a[0], pos);
            if (name == "sortAlpha") {
                std::vector<std::string> s;
                for (const auto& e : l) {
                    s.push_back(go_value(e));
                }
                std::sort(s.begin(), s.end());
                json::array out;
                for (auto& e : s) {
                    out.push_back(json::string(e));
                }
                return of(std::move(out));
            }
            json::array out;
            for (const auto& e : l) {
                if (std::find(out.begin(), out.end(), e) == out.end()) {
                    out.push_back(e);
                }
            }
            return of(std::move(out));
        }
        if (name == "repeat") {
            want(name, a, 2, pos);
            const auto n = int_arg(name, a[0], pos);
            if (n < 0 || n > 10000) {
                bad_args(name, pos, "a count from 0 to 10000");
            }
            std::string out;
            const auto s = go_string(a[1]);
            tick(static_cast<std::uint64_t>(n) * s.size() / 64);  // before the bytes are made
            for (std::int64_t i = 0; i < n; ++i) {
                out += s;
            }
            return of(json::string(out));
        }
        if (name == "indent" || name == "nindent") {
            want(name, a, 2, pos);
            const auto n = int_arg(name, a[0], pos);
            if (n < 0 || n > 1000) {
                bad_args(name, pos, "a width from 0 to 1000");
            }
            const std::string pad(static_cast<std::size_t>(n), ' ');
            auto s = pad + replace_all(go_string(a[1]), "\n", "\n" + pad);
            return of(json::string(name == "nindent" ? "\n" + s : s));
        }
        if (name == "trunc") {
            want(name, a, 2, pos);
            const auto n = int_arg(name, a[0], pos);
            const auto s = go_string(a[1]);
            if (n >= 0) {
                return of(json::string(
                    s.substr(0, std::min<std::size_t>(s.size(), static_cast<std::size_t>(n)))));
            }
            const auto keep = n == INT64_MIN ? s.size() : static_cast<std::size_t>(-n);
            return of(json::string(s.size() > keep ? s.substr(s.size() - keep) : s));
        }
        if (name == "add" || name == "sub") {
            if (a.size() < 2 || (name == "sub" && a.size() != 2)) {
                fail_at(pos, "wrong number of args for " + name);
            }
            std::int64_t total = int_arg(name, a[0], pos);
            for (std::size_t i = 1; i < a.size(); ++i) {
                const auto v = int_arg(name, a[i], pos);
                const bool overflow = name == "add" ? __builtin_add_overflow(total, v, &total)
                                                    : __builtin_sub_overflow(total, v, &total);
                if (overflow) {
                    bad_args(name, pos, "the result overflows");
                }
            }
            return of(total);
        }
        fail_at(pos, "function \"" + name + "\" not defined");
    }

    tval root_;
    std::vector<std::pair<std::string, tval>> vars_;
    std::string out_;
    std::uint64_t steps_ = 0;  // see tick()
};

}  // namespace
}  // namespace gotmpl

std::string render_go_template(std::string_view text, const boost::json::value& data) {
    gotmpl::parser p(text);
    const auto tree = p.parse();
    gotmpl::executor e(data);
    return e.run(tree);
}

void check_go_template(std::string_view text) {
    gotmpl::parser p(text);
    (void)p.parse();
}

}  // namespace oras::cli
