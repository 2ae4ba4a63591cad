/*
 * bench/xml2-normalize.c - rewrite HTML pages as one parser's tree.
 *
 *     bench/xml2-normalize [--gumbo] [-e ENCODING] -o OUTDIR FILE...
 *
 * Parses every FILE and writes the tree the parser built back out as HTML,
 * UTF-8, to OUTDIR/<file's base name>.  Fed to the html plugin, the
 * rewritten page makes gumbo rebuild that tree: the serialisation is
 * well-formed (every element closed where the first parser closed it), and
 * an HTML5 parser reads well-formed markup as written in almost all cases.
 * So bench/parser-eval, scoring the plugin over the rewritten pages, scores
 * the extractor on the first parser's tree.
 *
 * Default: libxml2's HTML parser, htmlReadMemory with HTML_PARSE_RECOVER,
 * NONET, NOERROR and NOWARNING and libxml2's own charset detection (its
 * <meta> reading, else UTF-8 falling back to Latin-1), or ENCODING when -e
 * names one.  The tree is written by htmlDocDumpMemoryFormat without
 * formatting (format 1 adds newlines between elements, which would change
 * the text); htmlSetMetaEncoding first puts a <meta http-equiv> saying
 * UTF-8 at the top of <head>, so the dump is UTF-8 and the plugin, which
 * reads the first charset declaration, decodes it as such.  One line per
 * file on standard output: BASE <tab> NESTED <tab> TEXT_BYTES, the
 * elements (and their text) libxml2 put inside a <p> where an HTML5 parser
 * would have closed it: there the rewrite cannot carry libxml2's tree
 * (see count_nested).
 *
 * --gumbo: the control.  gumbo (as the plugin calls it) parses and a small
 * serialiser below writes its tree; the plugin over these pages should
 * score as over the originals, which measures what the round trip itself
 * costs.  Input is taken as UTF-8 here (gumbo reads only UTF-8), so pages
 * in another charset are not a fair control; the corpus's are UTF-8.
 *
 * Exits 0, 1 naming the first file that could not be read, parsed or
 * written, 2 on a wrong command line.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gumbo.h>
#include <libxml/HTMLparser.h>
#include <libxml/HTMLtree.h>

/* The whole of path in *buf (malloc'ed, the caller frees), size in *len. */
static int
read_file(const char *path, char **buf, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *b = NULL;
    size_t n = 0, cap = 0, r;

    if (f == NULL)
        return errno ? -errno : -EIO;
    do {
        if (cap - n < 65536) {
            char *nb = realloc(b, cap = cap * 2 + 65536);
            if (nb == NULL) {
                free(b);
                fclose(f);
                return -ENOMEM;
            }
            b = nb;
        }
        r = fread(b + n, 1, cap - n, f);
        n += r;
    } while (r > 0);
    if (ferror(f)) {
        free(b);
        fclose(f);
        return -EIO;
    }
    fclose(f);
    *buf = b;
    *len = n;
    return 0;
}

/* ---- libxml2 ---------------------------------------------------------- */

/*
 * Where the rewrite cannot carry libxml2's tree: a <p> that libxml2 left
 * open around an element whose start tag closes a paragraph in HTML5
 * (libxml2 2.9's HTML 4 rules do not know figure, section, aside, nav...).
 * An HTML5 parser reading <p><figure> closes the <p> first, so gumbo
 * rebuilds the figure beside the paragraph, not in it.  Counted per page:
 * such elements (the outermost of each nesting) and the bytes of text in
 * them, which libxml2's tree puts inside a paragraph.
 */
static const char *const p_closers[] = {
    "address", "article", "aside", "blockquote", "center", "details",
    "dialog", "dir", "div", "dl", "dd", "dt", "fieldset", "figcaption",
    "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6",
    "header", "hgroup", "hr", "li", "listing", "main", "menu", "nav", "ol",
    "p", "plaintext", "pre", "section", "summary", "ul", "xmp", NULL,
};

/* Elements that end the "button scope" an HTML5 parser looks for a <p> in. */
static const char *const p_scope_ends[] = {
    "applet", "button", "caption", "html", "marquee", "object", "table",
    "td", "template", "th", NULL,
};

static bool
named(const xmlNode *n, const char *const *names)
{
    for (; *names; names++)
        if (xmlStrcasecmp(n->name, BAD_CAST *names) == 0)
            return true;
    return false;
}

/* Does an HTML5 parser close a <p> before n's start tag? */
static bool
closes_open_p(const xmlNode *n)
{
    if (!named(n, p_closers))
        return false;
    for (const xmlNode *a = n->parent;
         a != NULL && a->type == XML_ELEMENT_NODE; a = a->parent) {
        if (xmlStrcasecmp(a->name, BAD_CAST "p") == 0)
            return true;
        if (named(a, p_closers) || named(a, p_scope_ends))
            return false;   /* counted at a, or out of the p's scope */
    }
    return false;
}

static void
count_nested(const xmlNode *n, unsigned *count, size_t *text)
{
    for (; n != NULL; n = n->next) {
        if (n->type != XML_ELEMENT_NODE)
            continue;
        if (closes_open_p(n)) {
            xmlChar *c = xmlNodeGetContent(n);
            (*count)++;
            if (c != NULL)
                *text += strlen((const char *)c);
            xmlFree(c);
        }
        count_nested(n->children, count, text);
    }
}

static int
xml2_write(const char *buf, size_t len, const char *enc, FILE *out,
           unsigned *nested, size_t *nested_text)
{
    htmlDocPtr doc;
    xmlChar *mem = NULL;
    int size = 0;

    if (len > 0x7fffffff)
        return -EFBIG;
    doc = htmlReadMemory(buf, (int)len, NULL, enc,
                         HTML_PARSE_RECOVER | HTML_PARSE_NONET |
                         HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING |
                         HTML_PARSE_NODEFDTD);
    if (doc == NULL)
        return -EINVAL;
    count_nested(xmlDocGetRootElement(doc), nested, nested_text);
    htmlSetMetaEncoding(doc, BAD_CAST "UTF-8");
    htmlDocDumpMemoryFormat(doc, &mem, &size, 0);
    xmlFreeDoc(doc);
    if (mem == NULL)
        return -ENOMEM;
    if (fwrite(mem, 1, (size_t)size, out) != (size_t)size) {
        xmlFree(mem);
        return -EIO;
    }
    xmlFree(mem);
    return 0;
}

/* ---- gumbo ------------------------------------------------------------ */

/* Text as HTML: &, < and > escaped (and " in attribute values). */
static void
put_escaped(FILE *out, const char *s, bool attr)
{
    for (; *s; s++) {
        switch (*s) {
        case '&': fputs("&amp;", out); break;
        case '<': fputs("&lt;", out); break;
        case '>': fputs("&gt;", out); break;
        case '"':
            if (attr) {
                fputs("&quot;", out);
                break;
            }
            /* fall through */
        default: fputc(*s, out);
        }
    }
}

/* Elements whose text is written as is (the tokenizer reads them raw). */
static bool
raw_text(GumboTag tag)
{
    return tag == GUMBO_TAG_SCRIPT || tag == GUMBO_TAG_STYLE ||
           tag == GUMBO_TAG_XMP || tag == GUMBO_TAG_IFRAME ||
           tag == GUMBO_TAG_NOEMBED || tag == GUMBO_TAG_NOFRAMES ||
           tag == GUMBO_TAG_PLAINTEXT || tag == GUMBO_TAG_NOSCRIPT;
}

static bool
void_element(GumboTag tag)
{
    switch (tag) {
    case GUMBO_TAG_AREA: case GUMBO_TAG_BASE: case GUMBO_TAG_BR:
    case GUMBO_TAG_COL: case GUMBO_TAG_EMBED: case GUMBO_TAG_HR:
    case GUMBO_TAG_IMG: case GUMBO_TAG_INPUT: case GUMBO_TAG_KEYGEN:
    case GUMBO_TAG_LINK: case GUMBO_TAG_META: case GUMBO_TAG_PARAM:
    case GUMBO_TAG_SOURCE: case GUMBO_TAG_TRACK: case GUMBO_TAG_WBR:
    case GUMBO_TAG_BASEFONT: case GUMBO_TAG_BGSOUND: case GUMBO_TAG_FRAME:
        return true;
    default:
        return false;
    }
}

/* The element's name; unknown tags keep the name they were written with. */
static void
put_tag_name(FILE *out, const GumboElement *el)
{
    GumboStringPiece name;

    if (el->tag != GUMBO_TAG_UNKNOWN) {
        fputs(gumbo_normalized_tagname(el->tag), out);
        return;
    }
    name = el->original_tag;
    gumbo_tag_from_original_text(&name);
    for (size_t i = 0; i < name.length; i++)
        fputc(name.data[i] >= 'A' && name.data[i] <= 'Z'
                  ? name.data[i] + 32 : name.data[i], out);
}

static void
gumbo_put(FILE *out, const GumboNode *node, bool raw)
{
    const GumboVector *kids;

    switch (node->type) {
    case GUMBO_NODE_TEXT:
    case GUMBO_NODE_WHITESPACE:
        if (raw)
            fputs(node->v.text.text, out);
        else
            put_escaped(out, node->v.text.text, false);
        return;
    case GUMBO_NODE_CDATA:
        fprintf(out, "<![CDATA[%s]]>", node->v.text.text);
        return;
    case GUMBO_NODE_COMMENT:
        fprintf(out, "<!--%s-->", node->v.text.text);
        return;
    case GUMBO_NODE_DOCUMENT: {
        const GumboDocument *d = &node->v.document;
        if (d->has_doctype) {
            fprintf(out, "<!DOCTYPE %s", d->name);
            if (*d->public_identifier)
                fprintf(out, " PUBLIC \"%s\"", d->public_identifier);
            if (*d->system_identifier)
                fprintf(out, "%s \"%s\"",
                        *d->public_identifier ? "" : " SYSTEM",
                        d->system_identifier);
            fputs(">", out);
        }
        kids = &d->children;
        break;
    }
    case GUMBO_NODE_ELEMENT:
    case GUMBO_NODE_TEMPLATE: {
        const GumboElement *el = &node->v.element;
        fputc('<', out);
        put_tag_name(out, el);
        for (unsigned i = 0; i < el->attributes.length; i++) {
            const GumboAttribute *a = el->attributes.data[i];
            fprintf(out, " %s=\"", a->name);
            put_escaped(out, a->value, true);
            fputc('"', out);
        }
        fputc('>', out);
        if (void_element(el->tag))
            return;
        for (unsigned i = 0; i < el->children.length; i++)
            gumbo_put(out, el->children.data[i], raw_text(el->tag));
        fputs("</", out);
        put_tag_name(out, el);
        fputc('>', out);
        return;
    }
    default:
        return;
    }
    for (unsigned i = 0; i < kids->length; i++)
        gumbo_put(out, kids->data[i], false);
}

static int
gumbo_write(const char *buf, size_t len, FILE *out)
{
    GumboOptions opt = kGumboDefaultOptions;
    GumboOutput *g;

    opt.max_errors = 0;
    g = gumbo_parse_with_options(&opt, buf, len);
    if (g == NULL)
        return -ENOMEM;
    gumbo_put(out, g->document, false);
    gumbo_destroy_output(&opt, g);
    return ferror(out) ? -EIO : 0;
}

/* ---- main ------------------------------------------------------------- */

static void
usage(void)
{
    fputs("usage: xml2-normalize [--gumbo] [-e ENCODING] -o OUTDIR FILE...\n",
          stderr);
    exit(2);
}

int
main(int argc, char **argv)
{
    const char *outdir = NULL, *enc = NULL;
    bool use_gumbo = false;
    int i;

    for (i = 1; i < argc && argv[i][0] == '-'; i++) {
        if (strcmp(argv[i], "--gumbo") == 0)
            use_gumbo = true;
        else if (strcmp(argv[i], "-e") == 0 && i + 1 < argc)
            enc = argv[++i];
        else if (strcmp(argv[i], "-o") == 0 && i + 1 < argc)
            outdir = argv[++i];
        else
            usage();
    }
    if (outdir == NULL || i == argc)
        usage();
    for (; i < argc; i++) {
        const char *base = strrchr(argv[i], '/');
        char *buf = NULL, *path = NULL;
        size_t len = 0;
        FILE *out = NULL;
        unsigned nested = 0;
        size_t nested_text = 0;
        int rc;

        base = base ? base + 1 : argv[i];
        if ((rc = read_file(argv[i], &buf, &len)) < 0) {
            fprintf(stderr, "xml2-normalize: %s: %s\n", argv[i], strerror(-rc));
            return 1;
        }
        if (asprintf(&path, "%s/%s", outdir, base) < 0)
            path = NULL;
        if (path == NULL || (out = fopen(path, "wb")) == NULL) {
            fprintf(stderr, "xml2-normalize: cannot write %s/%s: %s\n",
                    outdir, base, strerror(errno));
            free(path);
            free(buf);
            return 1;
        }
        rc = use_gumbo ? gumbo_write(buf, len, out)
                       : xml2_write(buf, len, enc, out, &nested,
                                    &nested_text);
        free(buf);
        if (fclose(out) != 0 && rc == 0)
            rc = -EIO;
        if (rc < 0) {
            fprintf(stderr, "xml2-normalize: %s: %s\n", argv[i],
                    rc == -EINVAL ? "the parser built no tree"
                                  : strerror(-rc));
            free(path);
            return 1;
        }
        free(path);
        if (!use_gumbo)
            printf("%s\t%u\t%zu\n", base, nested, nested_text);
    }
    xmlCleanupParser();
    return 0;
}
