//! Meta WhatsApp Cloud API adapter (being built).
