package dev.fhirhook.bot.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Medplum's Lambda rule for the module type (medplum-compat §8). */
class ModuleTypeTest {
    @Test
    void the_extension_decides_first() {
        assertThat(ModuleType.of("bot.mjs", "exports.handler = 1;")).isEqualTo(ModuleType.ESM);
        assertThat(ModuleType.of("bot.MJS", "")).isEqualTo(ModuleType.ESM);
        assertThat(ModuleType.of("bot.cjs", "export const handler = 1;")).isEqualTo(ModuleType.COMMONJS);
    }

    @Test
    void otherwise_an_export_declaration_without_module_exports_is_esm() {
        assertThat(ModuleType.of("index.js", "export async function handler() {}")).isEqualTo(ModuleType.ESM);
        assertThat(ModuleType.of(null, "const a = 1;\nexport default a;")).isEqualTo(ModuleType.ESM);
        assertThat(ModuleType.of("index.ts", "import x from 'crypto';\nexport { x as handler };")).isEqualTo(ModuleType.ESM);
        assertThat(ModuleType.of("index.js", "exports.handler = async () => 1;")).isEqualTo(ModuleType.COMMONJS);
        assertThat(ModuleType.of("index.js", "export const a = 1;\nmodule.exports = {};")).isEqualTo(ModuleType.COMMONJS);
        assertThat(ModuleType.of("index.js", "const exported = 1; // export later\nexports.handler = 1;"))
                .isEqualTo(ModuleType.COMMONJS);
    }

    @Test
    void commonjs_columns_on_the_first_line_are_the_bots_own() {
        int wrapped = ModuleType.CJS_PREFIX.length() + 5;
        assertThat(ModuleType.COMMONJS.column(1, wrapped)).isEqualTo(5);
        assertThat(ModuleType.COMMONJS.column(2, 5)).isEqualTo(5);
        assertThat(ModuleType.ESM.column(1, 5)).isEqualTo(5);
    }
}
