"""Remote consultation: routing to specialists, chat and video signaling over Socket.IO."""
