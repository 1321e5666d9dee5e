# Build: docker build -t changenotifications .
# Run:   docker run -p 8080:8080 -v cn-data:/app/data changenotifications
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
COPY global.json Directory.Build.props Directory.Packages.props .editorconfig ChangeNotifications.sln ./
COPY src/ src/
RUN dotnet publish src/ChangeNotifications/ChangeNotifications.csproj -c Release -o /app --nologo

FROM mcr.microsoft.com/dotnet/aspnet:10.0 AS runtime
WORKDIR /app
COPY --from=build /app ./
ENV Urls=http://+:8080 \
    Storage__SqlitePath=/app/data/changenotifications.db
VOLUME /app/data
EXPOSE 8080
USER app
ENTRYPOINT ["dotnet", "ChangeNotifications.dll"]
