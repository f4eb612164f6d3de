/*
 * i18n: UI strings per language from templates/i18n/LANG.json, and the
 * choice of a reader's language.  Layer: lib/; depends on jansson.
 */
#ifndef KW_I18N_H
#define KW_I18N_H

#include <jansson.h>
#include <stddef.h>

#define I18N_NLANG 2

struct i18n {
    json_t *strings[I18N_NLANG]; /* owned; same keys in every language */
};

/* Codes of the supported languages, the default first ("ko", "en"). */
extern const char *const i18n_langs[I18N_NLANG];

/* Load DIR/ko.json and DIR/en.json.  Both must be flat objects of
 * strings with the same keys.  0, or -1 with a message in err. */
int i18n_load(struct i18n *t, const char *dir, char *err, size_t errlen);
void i18n_free(struct i18n *t);
/* Index of a language code, or -1. */
int i18n_index(const char *code);
/* Strings of one language (borrowed). */
json_t *i18n_strings(const struct i18n *t, int lang);
/* The reader's language: ?lang=, then the cookie, then Accept-Language,
 * then def.  Any argument may be NULL.  Returns an index. */
int i18n_choose(const char *query, const char *cookie,
                const char *accept_language, int def);

#endif
