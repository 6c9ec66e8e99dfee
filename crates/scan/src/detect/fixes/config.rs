//! Legacy config construction codemod.
