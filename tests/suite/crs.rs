//! GCJ-02 / BD-09 conversion tests (written next).
